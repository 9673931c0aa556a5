"""Drafts and approvals of the admin API, stored in the config table beside the versions they describe.

A draft is one item (``DRAFTS`` / draft id) holding its metadata and its whole document (canonical JSON, zlib):
a draft of a 600-queue centre compresses far below the 400 KB item limit, and one item makes every edit one
conditional write on the draft's ``revision``. An approval is one item per approver (``APPROVAL#<draft>`` /
approver), so two approvers cannot overwrite each other. ``InMemoryConfigStore`` and ``DynamoConfigStore`` take
these through the mixins below.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

DRAFTS_PK = "DRAFTS"
APPROVAL_PK_PREFIX = "APPROVAL#"
MAX_DRAFT_BYTES = 350_000  # compressed; below DynamoDB's item limit with room for the attributes


class DraftConflictError(Exception):
    """The draft changed since it was read (or the id is taken): re-read and try again."""


class DraftTooLargeError(Exception):
    """The draft's document does not fit in one item."""


@dataclass(frozen=True, slots=True)
class Draft:
    """A change being prepared: who started it, from which version, and where it stands."""

    draft_id: str
    author: str
    base_version: str | None
    state: str  # open | pending_approval | published | discarded
    created_at: str
    updated_at: str
    revision: int = 1
    published_version: str | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Approval:
    """One approver's yes to a draft (four-eyes)."""

    draft_id: str
    approver: str
    at: str
    reason: str
    draft_revision: int = 0  # an edit after the approval makes it stale (the approver saw another document)


def pack_document(document: Mapping[str, Any]) -> tuple[str, bytes]:
    """Canonical JSON → (sha256, zlib bytes); ``DraftTooLargeError`` above ``MAX_DRAFT_BYTES``."""
    raw = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    packed = zlib.compress(raw, 6)
    if len(packed) > MAX_DRAFT_BYTES:
        raise DraftTooLargeError(f"draft document is {len(packed)} bytes compressed (limit {MAX_DRAFT_BYTES})")
    return hashlib.sha256(raw).hexdigest(), packed


def unpack_document(packed: bytes, expected_hash: str) -> dict[str, Any]:
    """Reverse of ``pack_document``; a corrupt draft raises ``ValueError``."""
    raw = zlib.decompress(packed)
    if hashlib.sha256(raw).hexdigest() != expected_hash:
        raise ValueError("draft content hash mismatch")
    document = json.loads(raw)
    if not isinstance(document, dict):
        raise ValueError("draft is not a config document")
    return document


class DraftStore(Protocol):
    """Draft and approval primitives (the rules live in ``routing.admin.service``)."""

    def save_draft(self, draft: Draft, document: Mapping[str, Any] | None, *, expected_revision: int | None) -> Draft:
        """Write ``draft`` (and its document when given) if the stored one has ``expected_revision`` (None: new).
        Returns the draft with its new revision; ``DraftConflictError`` otherwise."""
        ...

    def get_draft(self, draft_id: str) -> Draft | None:
        """The draft's metadata, or None."""
        ...

    def load_draft_document(self, draft_id: str) -> dict[str, Any]:
        """The draft's document (``KeyError`` when there is no such draft)."""
        ...

    def list_drafts(self) -> list[Draft]:
        """Every draft, oldest id first."""
        ...

    def add_approval(self, approval: Approval) -> None:
        """Record an approval (one per approver and draft; a repeat replaces the earlier one)."""
        ...

    def list_approvals(self, draft_id: str) -> list[Approval]:
        """The draft's approvals."""
        ...


class InMemoryDrafts:
    """``DraftStore`` in dicts (mixed into ``InMemoryConfigStore``)."""

    drafts: dict[str, tuple[Draft, str, bytes]]
    approvals: dict[str, dict[str, Approval]]

    def _init_drafts(self) -> None:
        self.drafts = {}
        self.approvals = {}

    def save_draft(self, draft: Draft, document: Mapping[str, Any] | None, *, expected_revision: int | None) -> Draft:
        current = self.drafts.get(draft.draft_id)
        if (current[0].revision if current else None) != expected_revision:
            raise DraftConflictError(f"draft {draft.draft_id} changed since revision {expected_revision}")
        if document is not None:
            content_hash, packed = pack_document(document)
        elif current is not None:
            content_hash, packed = current[1], current[2]
        else:
            raise DraftConflictError("a new draft needs its document")
        saved = replace(draft, revision=(expected_revision or 0) + 1)
        self.drafts[draft.draft_id] = (saved, content_hash, packed)
        return saved

    def get_draft(self, draft_id: str) -> Draft | None:
        stored = self.drafts.get(draft_id)
        return stored[0] if stored else None

    def load_draft_document(self, draft_id: str) -> dict[str, Any]:
        _, content_hash, packed = self.drafts[draft_id]
        return unpack_document(packed, content_hash)

    def list_drafts(self) -> list[Draft]:
        return [self.drafts[k][0] for k in sorted(self.drafts)]

    def add_approval(self, approval: Approval) -> None:
        self.approvals.setdefault(approval.draft_id, {})[approval.approver] = approval

    def list_approvals(self, draft_id: str) -> list[Approval]:
        return list(self.approvals.get(draft_id, {}).values())


class DynamoDrafts:
    """``DraftStore`` on the config table (mixed into ``DynamoConfigStore``, which sets ``_model``)."""

    _model: Any

    def _draft(self, item: Any) -> Draft:
        return Draft(
            draft_id=item.sk,
            author=item.author or "",
            base_version=item.base_version,
            state=item.state or "open",
            created_at=item.created_at or "",
            updated_at=item.updated_at or "",
            revision=int(item.revision or 0),
            published_version=item.version_id,
            reason=item.summary or "",
        )

    def save_draft(self, draft: Draft, document: Mapping[str, Any] | None, *, expected_revision: int | None) -> Draft:
        from pynamodb.exceptions import PutError

        model = self._model
        if document is not None:
            content_hash, packed = pack_document(document)
        else:
            try:
                current = model.get(DRAFTS_PK, draft.draft_id)
            except model.DoesNotExist:
                raise DraftConflictError("a new draft needs its document") from None
            content_hash, packed = current.content_hash or "", current.data or b""
        saved = replace(draft, revision=(expected_revision or 0) + 1)
        item = model(
            DRAFTS_PK,
            draft.draft_id,
            author=saved.author,
            base_version=saved.base_version,
            state=saved.state,
            created_at=saved.created_at,
            updated_at=saved.updated_at,
            revision=saved.revision,
            version_id=saved.published_version,
            summary=saved.reason,
            content_hash=content_hash,
            data=packed,
        )
        condition = model.pk.does_not_exist() if expected_revision is None else (model.revision == expected_revision)
        try:
            item.save(condition=condition)
        except PutError as exc:
            if getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException":
                raise DraftConflictError(f"draft {draft.draft_id} changed since revision {expected_revision}") from None
            raise
        return saved

    def get_draft(self, draft_id: str) -> Draft | None:
        try:
            return self._draft(self._model.get(DRAFTS_PK, draft_id))
        except self._model.DoesNotExist:
            return None

    def load_draft_document(self, draft_id: str) -> dict[str, Any]:
        try:
            item = self._model.get(DRAFTS_PK, draft_id)
        except self._model.DoesNotExist:
            raise KeyError(draft_id) from None
        return unpack_document(item.data or b"", item.content_hash or "")

    def list_drafts(self) -> list[Draft]:
        # Metadata only: the documents stay on the server side of the projection.
        attrs = ["pk", "sk", "author", "base_version", "state", "created_at", "updated_at", "revision"]
        attrs += ["version_id", "summary"]
        return [self._draft(i) for i in self._model.query(DRAFTS_PK, attributes_to_get=attrs)]

    def add_approval(self, approval: Approval) -> None:
        self._model(
            f"{APPROVAL_PK_PREFIX}{approval.draft_id}",
            approval.approver,
            actor=approval.approver,
            updated_at=approval.at,
            summary=approval.reason,
            revision=approval.draft_revision,
        ).save()

    def list_approvals(self, draft_id: str) -> list[Approval]:
        return [
            Approval(draft_id, i.sk, i.updated_at or "", i.summary or "", int(i.revision or 0))
            for i in self._model.query(f"{APPROVAL_PK_PREFIX}{draft_id}")
        ]
