"""``InMemoryConfigStore``: the config store's semantics (``routing.config.store``) in dicts, for the tests, the
flow simulator, the demo and the benches. Same conditions, chunks and hashes, no DynamoDB."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from routing.config.draft_store import InMemoryDrafts
from routing.config.store import (
    AuditRecord,
    Pointer,
    PointerConflictError,
    VersionConflictError,
    VersionInfo,
    VersionUnavailableError,
    decode_chunks,
    encode_document,
)


class InMemoryConfigStore(InMemoryDrafts):
    """A ``ConfigStore`` in a dict: same semantics (conditions, chunks, hashes), no I/O."""

    def __init__(self) -> None:
        self._init_drafts()
        self.pointer: Pointer | None = None
        self.catalog: dict[str, VersionInfo] = {}
        self.chunks: dict[str, tuple[str, list[bytes]]] = {}
        self.audit: list[AuditRecord] = []
        self.deploy_base: tuple[str, list[bytes]] | None = None
        self.reads = 0

    def get_pointer(self) -> Pointer | None:
        self.reads += 1
        return self.pointer

    def load_document(self, version_id: str) -> dict[str, Any]:
        self.reads += 1
        info = self.catalog.get(version_id)
        stored = self.chunks.get(version_id)
        if info is None or stored is None or len(stored[1]) != info.chunk_count:
            raise VersionUnavailableError(f"version {version_id}: not found or incomplete")
        return decode_chunks(stored[1], stored[0], version_id)

    def get_version(self, version_id: str) -> VersionInfo | None:
        return self.catalog.get(version_id)

    def list_versions(self) -> list[VersionInfo]:
        return [self.catalog[k] for k in sorted(self.catalog)]

    def reserve_version(self, info: VersionInfo) -> None:
        if info.version_id in self.catalog:
            raise VersionConflictError(info.version_id)
        self.catalog[info.version_id] = info

    def write_chunks(self, version_id: str, content_hash: str, chunks: Sequence[bytes]) -> None:
        self.chunks[version_id] = (content_hash, list(chunks))

    def flip_pointer(
        self,
        version_id: str,
        *,
        previous_version_id: str | None,
        expected_revision: int | None,
        actor: str,
        at: str,
    ) -> Pointer:
        current = self.pointer.revision if self.pointer else None
        if current != expected_revision:
            raise PointerConflictError(f"pointer revision is {current}, expected {expected_revision}")
        self.pointer = Pointer(version_id, previous_version_id, (current or 0) + 1, at, actor)
        return self.pointer

    def set_expiry(self, version_id: str, expires_at: int | None) -> None:
        if version_id in self.catalog:
            self.catalog[version_id] = replace(self.catalog[version_id], expires_at=expires_at)

    def append_audit(self, record: AuditRecord) -> None:
        self.audit.append(record)

    def list_audit(self, limit: int = 100) -> list[AuditRecord]:
        return list(reversed(self.audit))[:limit]

    def save_deploy_base(self, document: Mapping[str, Any]) -> None:
        content_hash, chunks, _ = encode_document(document)
        self.deploy_base = (content_hash, chunks)

    def load_deploy_base(self) -> dict[str, Any] | None:
        if self.deploy_base is None:
            return None
        return decode_chunks(self.deploy_base[1], self.deploy_base[0], "deploy-base")
