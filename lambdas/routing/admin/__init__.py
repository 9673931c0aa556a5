"""Admin API: operations self-service over the config table (docs/design/admin.md)."""
