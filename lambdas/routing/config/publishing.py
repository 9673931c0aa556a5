"""Publish, roll back, list and diff config versions. The CLI, the deploy-time custom resource and (later) the
admin API all call these functions, so every path validates, audits and flips the pointer the same way."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from routing.config.loader import ConfigInvalidError, validate_document
from routing.config.store import (
    AuditRecord,
    ConfigStore,
    PointerConflictError,
    VersionConflictError,
    VersionInfo,
    VersionUnavailableError,
    encode_document,
)

DEFAULT_RETENTION_DAYS = 90


class PublishConflictError(Exception):
    """Someone else published or rolled back in between: re-read and try again."""


class RollbackError(Exception):
    """There is nothing to roll back to, or the target cannot be loaded."""


@dataclass(frozen=True, slots=True)
class PublishResult:
    """Outcome of a publish or rollback."""

    status: str  # PUBLISHED | UNCHANGED | ROLLED_BACK
    version_id: str
    content_hash: str
    previous_version_id: str | None = None


def _now_iso(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def next_version_id(versions: list[VersionInfo]) -> str:
    """``v000001``, ``v000002``, … one above the highest ever reserved."""
    highest = max((int(v.version_id[1:]) for v in versions if v.version_id[1:].isdigit()), default=0)
    return f"v{highest + 1:06d}"


def publish_document(
    store: ConfigStore,
    document: Mapping[str, Any],
    *,
    actor: str,
    summary: str,
    now: datetime | None = None,
    retention_days: int = DEFAULT_RETENTION_DAYS,
    expected_revision: int | None = None,
) -> PublishResult:
    """Validate ``document``, write it as a new immutable version and make it active.

    Publishing the content that is already active is a no-op (``UNCHANGED``). ``expected_revision``, when given,
    makes the flip conditional on the pointer a caller read earlier (optimistic concurrency for editors).
    Raises ``ConfigInvalidError`` (nothing written) or ``PublishConflictError``.
    """
    result = validate_document(document)
    if not result.ok or result.document is None:
        raise ConfigInvalidError(result.issues)
    normalized = result.document
    now = now or datetime.now(UTC)
    at = _now_iso(now)
    content_hash, chunks, size = encode_document(normalized)
    pointer = store.get_pointer()
    if expected_revision is not None and (pointer.revision if pointer else 0) != expected_revision:
        raise PublishConflictError(f"active pointer is at revision {pointer.revision if pointer else 0}")
    if pointer is not None:
        active = store.get_version(pointer.version_id)
        if active is not None and active.content_hash == content_hash:
            return PublishResult("UNCHANGED", pointer.version_id, content_hash, pointer.previous_version_id)

    for _ in range(5):
        version_id = next_version_id(store.list_versions())
        info = VersionInfo(version_id, content_hash, actor, at, summary, size, len(chunks))
        try:
            store.reserve_version(info)
            break
        except VersionConflictError:
            continue
    else:
        raise PublishConflictError("could not reserve a version id: too many concurrent publishers")

    store.write_chunks(version_id, content_hash, chunks)
    previous = pointer.version_id if pointer else None
    try:
        store.flip_pointer(
            version_id,
            previous_version_id=previous,
            expected_revision=pointer.revision if pointer else None,
            actor=actor,
            at=at,
        )
    except PointerConflictError as exc:
        raise PublishConflictError(str(exc)) from None
    store.append_audit(AuditRecord(at, "publish", actor, previous, version_id, summary))
    apply_retention(store, now=now, retention_days=retention_days)
    return PublishResult("PUBLISHED", version_id, content_hash, previous)


DEPLOY_ACTOR_PREFIX = "deploy:"


@dataclass(frozen=True, slots=True)
class DeployResult:
    """Outcome of a pipeline publish: the publish result and what was kept from operations."""

    publish: PublishResult
    kept_operations_changes: list[str]
    conflicts: list[str]


def publish_from_deploy(
    store: ConfigStore,
    git_document: Mapping[str, Any],
    *,
    deployment: str,
    now: datetime | None = None,
    retention_days: int = DEFAULT_RETENTION_DAYS,
) -> DeployResult:
    """The pipeline's publish: merge git's document with operations' run-time changes, then publish.

    ``base`` is what git said at the previous deploy (kept apart from the versions, because a deploy's published
    version already contains the operations values it kept); ``theirs`` is the active version. See
    ``routing.config.ownership`` for the rules. A deploy never silently reverts operations.
    """
    from routing.config.loader import ConfigInvalidError, validate_document
    from routing.config.ownership import merge_for_deploy

    validated = validate_document(git_document)
    if validated.document is None:
        raise ConfigInvalidError(validated.issues)
    pointer = store.get_pointer()
    theirs = store.load_document(pointer.version_id) if pointer else None
    base = store.load_deploy_base()
    merged, report = merge_for_deploy(base, validated.document, theirs)
    result = publish_document(
        store,
        merged,
        actor=f"{DEPLOY_ACTOR_PREFIX}{deployment}",
        summary=f"deploy {deployment}: {report.summary()}",
        now=now,
        retention_days=retention_days,
    )
    store.save_deploy_base(validated.document)
    return DeployResult(result, [d.path for d in report.kept], [d.path for d in report.conflicts])


def rollback(
    store: ConfigStore,
    *,
    actor: str,
    to_version: str | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> PublishResult:
    """Make ``to_version`` (default: the previous version) active again, after checking it loads whole."""
    now = now or datetime.now(UTC)
    pointer = store.get_pointer()
    if pointer is None:
        raise RollbackError("nothing is published yet")
    target = to_version or pointer.previous_version_id
    if not target:
        raise RollbackError("there is no previous version to roll back to")
    if target == pointer.version_id:
        raise RollbackError(f"{target} is already active")
    info = store.get_version(target)
    if info is None:
        raise RollbackError(f"version {target} does not exist (or has expired)")
    try:
        store.load_document(target)
    except VersionUnavailableError as exc:
        raise RollbackError(str(exc)) from None
    store.set_expiry(target, None)
    at = _now_iso(now)
    try:
        store.flip_pointer(
            target,
            previous_version_id=pointer.version_id,
            expected_revision=pointer.revision,
            actor=actor,
            at=at,
        )
    except PointerConflictError as exc:
        raise PublishConflictError(str(exc)) from None
    store.append_audit(AuditRecord(at, "rollback", actor, pointer.version_id, target, reason))
    return PublishResult("ROLLED_BACK", target, info.content_hash, pointer.version_id)


def apply_retention(store: ConfigStore, *, now: datetime, retention_days: int) -> list[str]:
    """Give every version except the active and previous one a TTL ``retention_days`` after publication.

    The active and previous versions never carry a TTL (it is cleared if they had one). Returns the ids given a TTL.
    """
    pointer = store.get_pointer()
    keep = {pointer.version_id, pointer.previous_version_id} if pointer else set()
    expired: list[str] = []
    for info in store.list_versions():
        if info.version_id in keep:
            if info.expires_at is not None:
                store.set_expiry(info.version_id, None)
            continue
        try:
            published = datetime.fromisoformat(info.published_at.replace("Z", "+00:00"))
        except ValueError:
            published = now
        expires = int((published + timedelta(days=retention_days)).timestamp())
        if info.expires_at != expires:
            store.set_expiry(info.version_id, expires)
            expired.append(info.version_id)
    return expired


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between two documents."""

    path: str
    kind: str  # added | removed | changed
    before: Any = None
    after: Any = None

    def __str__(self) -> str:
        if self.kind == "added":
            return f"+ {self.path}: {_short(self.after)}"
        if self.kind == "removed":
            return f"- {self.path}: {_short(self.before)}"
        return f"~ {self.path}: {_short(self.before)} -> {_short(self.after)}"


def _short(value: Any, limit: int = 120) -> str:
    import json

    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def diff_documents(before: Mapping[str, Any], after: Mapping[str, Any], path: str = "") -> list[Change]:
    """A structural diff: mappings by key, lists and scalars compared whole."""
    changes: list[Change] = []
    for key in sorted(set(before) | set(after), key=str):
        p = f"{path}.{key}" if path else str(key)
        if key not in after:
            changes.append(Change(p, "removed", before=before[key]))
        elif key not in before:
            changes.append(Change(p, "added", after=after[key]))
        elif isinstance(before[key], Mapping) and isinstance(after[key], Mapping):
            changes.extend(diff_documents(before[key], after[key], p))
        elif before[key] != after[key]:
            changes.append(Change(p, "changed", before[key], after[key]))
    return changes
