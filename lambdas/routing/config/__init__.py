"""Config-as-code: schema, loading, validation, normalized document and its hash."""

from routing.config.loader import (
    ConfigInvalidError,
    ConfigIssue,
    ValidationResult,
    canonical_json,
    content_hash,
    document_to_sources,
    load_directory,
    load_sources,
    validate_document,
)

__all__ = [
    "ConfigInvalidError",
    "ConfigIssue",
    "ValidationResult",
    "canonical_json",
    "content_hash",
    "document_to_sources",
    "load_directory",
    "load_sources",
    "validate_document",
]
