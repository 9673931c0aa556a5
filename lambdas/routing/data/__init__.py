"""Data access: the only place that imports pynamodb/boto3."""
