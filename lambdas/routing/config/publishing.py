"""Publish, roll back, list and diff config versions. The CLI, the deploy-time custom resource and (later) the
admin API all call these functions, so every path validates, audits and flips the pointer the same way."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from routing.config.diff import Change, diff_documents
from routing.config.loader import ConfigInvalidError, validate_document
from routing.config.store import (
    AuditRecord,
    ConfigStore,
    Pointer,
    PointerConflictError,
    VersionConflictError,
    VersionInfo,
    VersionUnavailableError,
    encode_document,
)

DEFAULT_RETENTION_DAYS = 90
__all__ = ["Change", "diff_documents"]  # re-exported: the diff used to live here


class _Unchecked:
    """The type of ``UNCHECKED``: publish without comparing the active version to a base."""


#: ``base_version`` default for callers that own the whole table (tests, the demo, the bench). The CLI and the
#: admin API always pass the version their author started from.
UNCHECKED = _Unchecked()


class PublishConflictError(Exception):
    """Someone else published or rolled back in between: re-read and try again."""


class StalePublishError(PublishConflictError):
    """The active version is not the one the author started from: publishing would undo someone's change."""

    def __init__(self, base_version: str | None, active_version: str | None, changes: list[Change]) -> None:
        super().__init__(
            f"the active version is {active_version or '(none)'}, not {base_version or '(none)'} that this change "
            f"started from ({len(changes)} change(s) since): review them and start again from {active_version}"
        )
        self.base_version = base_version
        self.active_version = active_version
        self.changes = changes


class EngineeringOwnedError(Exception):
    """The change touches fields engineering owns (structure: git and the pipeline); ``force`` overrides."""

    def __init__(self, changes: list[Change]) -> None:
        paths = ", ".join(c.path for c in changes[:8]) + (" …" if len(changes) > 8 else "")
        super().__init__(f"{len(changes)} change(s) to engineering-owned fields: {paths}")
        self.changes = changes


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
    base_version: str | _Unchecked | None = UNCHECKED,
    verified: bool = False,
    engineering: str = "allow",
) -> PublishResult:
    """Validate ``document``, write it as a new immutable version and make it active.

    Publishing the content that is already active is a no-op (``UNCHANGED``). ``base_version`` is the version the
    author started from (None: nothing was published): if another is active, ``StalePublishError`` carries the
    changes since, and nothing is written. ``expected_revision`` makes the flip conditional on the pointer a caller
    read earlier. ``engineering``: ``allow`` (the pipeline), ``refuse`` (``EngineeringOwnedError`` on a change to a
    field outside ``OPERATIONS_FIELDS``) or ``force`` (publish, and the audit record says forced). ``verified``
    says whether ``actor`` comes from a verified token (the API) or is what a tool was told (the CLI).
    Raises ``ConfigInvalidError`` (nothing written), ``PublishConflictError`` or ``EngineeringOwnedError``.
    """
    normalized = _validated(document)
    now = now or datetime.now(UTC)
    at = _now_iso(now)
    content_hash, chunks, size = encode_document(normalized)
    pointer = store.get_pointer()
    if expected_revision is not None and (pointer.revision if pointer else 0) != expected_revision:
        raise PublishConflictError(f"active pointer is at revision {pointer.revision if pointer else 0}")
    active_doc = _load_or_none(store, pointer.version_id) if pointer else None
    _check_base(store, base_version, pointer.version_id if pointer else None, active_doc)
    if pointer is not None:
        active = store.get_version(pointer.version_id)
        if active is not None and active.content_hash == content_hash:
            return PublishResult("UNCHANGED", pointer.version_id, content_hash, pointer.previous_version_id)
    changes = diff_documents(active_doc or {}, normalized) if active_doc is not None else []
    summary = _ownership_summary(summary, active_doc, normalized, engineering)

    version_id = _reserve_version(
        store, content_hash=content_hash, actor=actor, at=at, summary=summary, size=size, chunk_count=len(chunks)
    )
    store.write_chunks(version_id, content_hash, chunks)
    previous = pointer.version_id if pointer else None
    _flip_after_publish(store, version_id, pointer, actor, at)
    store.append_audit(
        AuditRecord(at, "publish", actor, previous, version_id, summary, verified, audit_changes(changes))
    )
    apply_retention(store, now=now, retention_days=retention_days)
    return PublishResult("PUBLISHED", version_id, content_hash, previous)


def _validated(document: Mapping[str, Any]) -> dict[str, Any]:
    """The normalized document, or ``ConfigInvalidError`` with every issue (nothing written)."""
    result = validate_document(document)
    if not result.ok or result.document is None:
        raise ConfigInvalidError(result.issues)
    return result.document


def _reserve_version(
    store: ConfigStore, *, content_hash: str, actor: str, at: str, summary: str, size: int, chunk_count: int
) -> str:
    """Reserve the next version id; a concurrent publisher taking it first means trying the next one (five times)."""
    for _ in range(5):
        version_id = next_version_id(store.list_versions())
        info = VersionInfo(version_id, content_hash, actor, at, summary, size, chunk_count)
        try:
            store.reserve_version(info)
            return version_id
        except VersionConflictError:
            continue
    raise PublishConflictError("could not reserve a version id: too many concurrent publishers")


def _flip_after_publish(store: ConfigStore, version_id: str, pointer: Pointer | None, actor: str, at: str) -> None:
    """Make ``version_id`` active if the pointer is still the one read before publishing."""
    try:
        store.flip_pointer(
            version_id,
            previous_version_id=pointer.version_id if pointer else None,
            expected_revision=pointer.revision if pointer else None,
            actor=actor,
            at=at,
        )
    except PointerConflictError as exc:
        raise PublishConflictError(str(exc)) from None


def audit_changes(changes: list[Change], limit: int = 200) -> tuple[dict[str, Any], ...]:
    """Before/after per field for the audit record (capped: a deploy can change thousands of fields)."""
    return tuple(c.as_dict() for c in changes[:limit])


def _load_or_none(store: ConfigStore, version_id: str) -> dict[str, Any] | None:
    try:
        return store.load_document(version_id)
    except VersionUnavailableError:
        return None


def _check_base(
    store: ConfigStore, base_version: str | _Unchecked | None, active: str | None, active_doc: dict[str, Any] | None
) -> None:
    if isinstance(base_version, _Unchecked) or base_version == active:
        return
    before: dict[str, Any] = {}
    if base_version is not None:
        try:
            before = store.load_document(base_version)
        except VersionUnavailableError:
            before = {}
    raise StalePublishError(base_version, active, diff_documents(before, active_doc or {}))


def _ownership_summary(
    summary: str, active_doc: dict[str, Any] | None, document: dict[str, Any], engineering: str
) -> str:
    """Refuse (or mark as forced) a change to engineering-owned fields outside a deploy."""
    if engineering == "allow" or active_doc is None:
        return summary
    from routing.config.ownership import engineering_changes

    owned = engineering_changes(active_doc, document)
    if not owned:
        return summary
    if engineering != "force":
        raise EngineeringOwnedError(owned)
    paths = ", ".join(c.path for c in owned[:8]) + (" …" if len(owned) > 8 else "")
    return f"FORCED: {len(owned)} engineering-owned change(s) outside a deploy ({paths}); {summary}"


DEPLOY_ACTOR_PREFIX = "deploy:"


@dataclass(frozen=True, slots=True)
class DeployResult:
    """Outcome of a pipeline publish: the publish result and what was kept from operations."""

    publish: PublishResult
    kept_operations_changes: list[str]
    conflicts: list[str]
    overridden: list[str] = field(default_factory=list)  # live changes this deploy reverted (loud: see summary)


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
    ``routing.config.ownership`` for the rules. A deploy never silently reverts operations: a live change it
    cannot keep (outside the ownership table) is listed in ``overridden``, the summary and the audit record; and
    the publish is conditional on the active version the merge read (``StalePublishError`` if it moved meanwhile).
    """
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
        base_version=pointer.version_id if pointer else None,
    )
    store.save_deploy_base(validated.document)
    return DeployResult(
        result, [d.path for d in report.kept], [d.path for d in report.conflicts], [c.path for c in report.overridden]
    )


def rollback(
    store: ConfigStore,
    *,
    actor: str,
    to_version: str,
    reason: str = "",
    now: datetime | None = None,
    verified: bool = False,
) -> PublishResult:
    """Make ``to_version`` active again, after checking it loads whole.

    The version is always named: a "previous version" default made a second rollback toggle forward again.
    """
    now = now or datetime.now(UTC)
    target = to_version
    if not target:
        raise RollbackError("name the version to roll back to (see the versions list)")
    pointer = store.get_pointer()
    if pointer is None:
        raise RollbackError("nothing is published yet")
    if target == pointer.version_id:
        raise RollbackError(f"{target} is already active")
    info = store.get_version(target)
    if info is None:
        raise RollbackError(f"version {target} does not exist (or has expired)")
    try:
        target_doc = store.load_document(target)
    except VersionUnavailableError as exc:
        raise RollbackError(str(exc)) from None
    active_doc = _load_or_none(store, pointer.version_id)  # a broken active version is a reason to roll back
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
    changes = audit_changes(diff_documents(active_doc, target_doc)) if active_doc is not None else ()
    store.append_audit(AuditRecord(at, "rollback", actor, pointer.version_id, target, reason, verified, changes))
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
