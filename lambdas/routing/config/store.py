"""Versioned config storage: immutable versions, one active pointer, an audit trail.

``DynamoConfigStore`` is the production store (PynamoDB); ``InMemoryConfigStore`` (``routing.config.memory_store``)
is the fake the unit tests and the flow simulator use. Both implement ``ConfigStore`` and keep documents as the same
hash-checked chunks.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from routing.common.pynamo_store import PynamoStore
from routing.config.draft_store import DraftStore, DynamoDrafts

if TYPE_CHECKING:
    from routing.common.models import ConfigItem

CHUNK_BYTES = 350_000  # below DynamoDB's 400 KB item limit with room for the key and attributes
POINTER_PK, POINTER_SK = "POINTER", "ACTIVE"
CATALOG_PK = "VERSIONS"
AUDIT_PK = "AUDIT"
DEPLOY_BASE_PK = "DEPLOY_BASE"


class ConfigStoreError(Exception):
    """Base class for store outcomes callers act on."""


class VersionUnavailableError(ConfigStoreError):
    """The version is missing, expired, incomplete (still replicating) or corrupt."""


class VersionConflictError(ConfigStoreError):
    """Another publisher reserved this version id first."""


class PointerConflictError(ConfigStoreError):
    """The active pointer moved since it was read (optimistic concurrency)."""


@dataclass(frozen=True, slots=True)
class Pointer:
    """Which version is active, which was before, and the revision that guards the next flip."""

    version_id: str
    previous_version_id: str | None
    revision: int
    updated_at: str
    updated_by: str


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """Catalog entry of a published version."""

    version_id: str
    content_hash: str
    published_by: str
    published_at: str
    summary: str
    size_bytes: int
    chunk_count: int
    expires_at: int | None = None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """Who changed what, when, from which version to which, and each field's before/after."""

    at: str
    action: str
    actor: str
    from_version: str | None
    to_version: str | None
    detail: str = ""
    verified: bool = False  # actor from a verified token (admin API); False: free text a tool was given
    changes: tuple[dict[str, Any], ...] = ()  # {"path", "kind", "before", "after"} per field


def encode_document(document: Mapping[str, Any]) -> tuple[str, list[bytes], int]:
    """Canonical JSON → (sha256, zlib chunks, uncompressed size)."""
    raw = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    packed = zlib.compress(raw, 6)
    chunks = [packed[i : i + CHUNK_BYTES] for i in range(0, len(packed), CHUNK_BYTES)] or [b""]
    return hashlib.sha256(raw).hexdigest(), chunks, len(raw)


def decode_chunks(chunks: Sequence[bytes], expected_hash: str, version_id: str) -> dict[str, Any]:
    """Reassemble and verify a document; a partial or corrupt version raises ``VersionUnavailableError``."""
    try:
        raw = zlib.decompress(b"".join(chunks))
    except zlib.error as exc:
        raise VersionUnavailableError(f"version {version_id}: corrupt data ({exc})") from None
    if hashlib.sha256(raw).hexdigest() != expected_hash:
        raise VersionUnavailableError(f"version {version_id}: content hash mismatch")
    document = json.loads(raw)
    if not isinstance(document, dict):
        raise VersionUnavailableError(f"version {version_id}: not a config document")
    return document


class ConfigStore(DraftStore, Protocol):
    """Storage primitives; the publishing rules live in ``routing.config.publishing``."""

    def get_pointer(self) -> Pointer | None:
        """The active pointer, or None before the first publish."""
        ...

    def load_document(self, version_id: str) -> dict[str, Any]:
        """The whole, verified document of a version (raises ``VersionUnavailableError``)."""
        ...

    def get_version(self, version_id: str) -> VersionInfo | None:
        """A catalog entry."""
        ...

    def list_versions(self) -> list[VersionInfo]:
        """All catalog entries, oldest first."""
        ...

    def reserve_version(self, info: VersionInfo) -> None:
        """Write the catalog entry if the id is free (raises ``VersionConflictError``)."""
        ...

    def write_chunks(self, version_id: str, content_hash: str, chunks: Sequence[bytes]) -> None:
        """Write a reserved version's data."""
        ...

    def flip_pointer(
        self,
        version_id: str,
        *,
        previous_version_id: str | None,
        expected_revision: int | None,
        actor: str,
        at: str,
    ) -> Pointer:
        """Point at ``version_id`` if the pointer still has ``expected_revision`` (None: no pointer yet)."""
        ...

    def set_expiry(self, version_id: str, expires_at: int | None) -> None:
        """Set or clear a version's TTL (catalog and chunks)."""
        ...

    def append_audit(self, record: AuditRecord) -> None:
        """Record a change."""
        ...

    def list_audit(self, limit: int = 100) -> list[AuditRecord]:
        """Newest audit records first."""
        ...

    def save_deploy_base(self, document: Mapping[str, Any]) -> None:
        """Remember the document git gave the last deploy (the base of the next deploy's three-way merge)."""
        ...

    def load_deploy_base(self) -> dict[str, Any] | None:
        """The document git gave the last deploy, or None before the first deploy."""
        ...


class DynamoConfigStore(PynamoStore["ConfigItem"], DynamoDrafts):
    """The config table through PynamoDB (``routing.common.models.ConfigItem``)."""

    def _model_class(self) -> type[ConfigItem]:
        from routing.common.models import ConfigItem

        return ConfigItem

    def get_pointer(self) -> Pointer | None:
        try:
            item = self._model.get(POINTER_PK, POINTER_SK)
        except self._model.DoesNotExist:
            return None
        return Pointer(
            version_id=item.version_id or "",
            previous_version_id=item.previous_version_id,
            revision=int(item.revision or 0),
            updated_at=item.updated_at or "",
            updated_by=item.updated_by or "",
        )

    def load_document(self, version_id: str) -> dict[str, Any]:
        items = list(self._model.query(f"VERSION#{version_id}", self._model.sk.startswith("CHUNK#")))
        if not items:
            raise VersionUnavailableError(f"version {version_id}: not found (not yet replicated, or expired)")
        expected = int(items[0].chunk_count or 0)
        content_hash = items[0].content_hash or ""
        if len(items) != expected:
            raise VersionUnavailableError(f"version {version_id}: {len(items)} of {expected} chunks present")
        return decode_chunks([i.data or b"" for i in items], content_hash, version_id)

    def _info(self, item: Any) -> VersionInfo:
        expires = item.expires_at
        return VersionInfo(
            version_id=item.sk,
            content_hash=item.content_hash or "",
            published_by=item.published_by or "",
            published_at=item.published_at or "",
            summary=item.summary or "",
            size_bytes=int(item.size_bytes or 0),
            chunk_count=int(item.chunk_count or 0),
            expires_at=int(expires.timestamp()) if expires is not None else None,
        )

    def get_version(self, version_id: str) -> VersionInfo | None:
        try:
            return self._info(self._model.get(CATALOG_PK, version_id))
        except self._model.DoesNotExist:
            return None

    def list_versions(self) -> list[VersionInfo]:
        return [self._info(i) for i in self._model.query(CATALOG_PK)]

    def reserve_version(self, info: VersionInfo) -> None:
        from pynamodb.exceptions import PutError

        item = self._model(
            CATALOG_PK,
            info.version_id,
            content_hash=info.content_hash,
            published_by=info.published_by,
            published_at=info.published_at,
            summary=info.summary,
            size_bytes=info.size_bytes,
            chunk_count=info.chunk_count,
        )
        try:
            item.save(condition=self._model.pk.does_not_exist())
        except PutError as exc:
            if _is_conditional_failure(exc):
                raise VersionConflictError(info.version_id) from None
            raise

    def write_chunks(self, version_id: str, content_hash: str, chunks: Sequence[bytes]) -> None:
        with self._model.batch_write() as batch:
            for i, chunk in enumerate(chunks):
                batch.save(
                    self._model(
                        f"VERSION#{version_id}",
                        f"CHUNK#{i:04d}",
                        data=chunk,
                        content_hash=content_hash,
                        chunk_count=len(chunks),
                    )
                )

    def flip_pointer(
        self,
        version_id: str,
        *,
        previous_version_id: str | None,
        expected_revision: int | None,
        actor: str,
        at: str,
    ) -> Pointer:
        from pynamodb.exceptions import PutError

        revision = (expected_revision or 0) + 1
        condition = (
            self._model.pk.does_not_exist()
            if expected_revision is None
            else (self._model.revision == expected_revision)
        )
        item = self._model(
            POINTER_PK,
            POINTER_SK,
            version_id=version_id,
            previous_version_id=previous_version_id,
            revision=revision,
            updated_at=at,
            updated_by=actor,
        )
        try:
            item.save(condition=condition)
        except PutError as exc:
            if _is_conditional_failure(exc):
                raise PointerConflictError(f"pointer moved since revision {expected_revision}") from None
            raise
        return Pointer(version_id, previous_version_id, revision, at, actor)

    def set_expiry(self, version_id: str, expires_at: int | None) -> None:
        from datetime import UTC, datetime

        value = datetime.fromtimestamp(expires_at, UTC) if expires_at is not None else None
        action = self._model.expires_at.set(value) if value is not None else self._model.expires_at.remove()
        keys = [(CATALOG_PK, version_id)]
        keys += [(i.pk, i.sk) for i in self._model.query(f"VERSION#{version_id}")]
        for pk, sk in keys:
            self._model(pk, sk).update(actions=[action])

    def append_audit(self, record: AuditRecord) -> None:
        import uuid

        self._model(
            AUDIT_PK,
            f"{record.at}#{uuid.uuid4().hex[:12]}",
            action=record.action,
            actor=record.actor,
            from_version=record.from_version,
            to_version=record.to_version,
            detail=record.detail,
            verified=record.verified,
            changes=_changes_json(record.changes),
        ).save()

    def list_audit(self, limit: int = 100) -> list[AuditRecord]:
        return [
            AuditRecord(
                at=i.sk.split("#", 1)[0],
                action=i.action or "",
                actor=i.actor or "",
                from_version=i.from_version,
                to_version=i.to_version,
                detail=i.detail or "",
                verified=bool(i.verified),
                changes=tuple(json.loads(i.changes)) if i.changes else (),
            )
            for i in self._model.query(AUDIT_PK, scan_index_forward=False, limit=limit)
        ]

    def save_deploy_base(self, document: Mapping[str, Any]) -> None:
        # Content-addressed chunks (immutable, so a shorter document never meets stale chunks), then the pointer.
        content_hash, chunks, _ = encode_document(document)
        self.write_chunks(f"{DEPLOY_BASE_PK}#{content_hash}", content_hash, chunks)
        self._model(DEPLOY_BASE_PK, "LATEST", content_hash=content_hash, chunk_count=len(chunks)).save()

    def load_deploy_base(self) -> dict[str, Any] | None:
        try:
            latest = self._model.get(DEPLOY_BASE_PK, "LATEST")
        except self._model.DoesNotExist:
            return None
        return self.load_document(f"{DEPLOY_BASE_PK}#{latest.content_hash}")


def _changes_json(changes: Sequence[Mapping[str, Any]], limit: int = 300_000) -> str | None:
    """The before/after list as JSON, trimmed from the end to stay inside one item."""
    if not changes:
        return None
    items = list(changes)
    while items:
        text = json.dumps(items, ensure_ascii=False, sort_keys=True, default=str)
        if len(text.encode()) <= limit:
            return text
        items = items[: len(items) // 2]
    return None


def _is_conditional_failure(exc: Exception) -> bool:
    cause = getattr(exc, "cause_response_code", None)
    return cause == "ConditionalCheckFailedException"
