"""What every feature shares: Connect event parsing, logging/metrics and masking, settings, safe text,
the per-call store deadline, init/SnapStart lifecycle, and the PynamoDB models with their shared session.

Import-free on purpose: a handler imports only the modules its feature needs (cold start)."""
