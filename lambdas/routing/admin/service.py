"""``AdminService``: what the admin API does, role and scope checked here (server side), storage in the config
table through ``ConfigStore``. Every refusal raises ``AdminError`` before anything is written."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime
from typing import Any

from routing.admin.identity import AdminError, Identity, require
from routing.admin.paths import check_ownership, check_scope, item_of, set_field
from routing.admin.views import CompiledCache, line_status, simulate_contact, validation_errors
from routing.config.diff import diff_documents
from routing.config.draft_store import Approval, Draft, DraftConflictError, DraftTooLargeError
from routing.config.loader import ConfigInvalidError
from routing.config.publishing import (
    EngineeringOwnedError,
    PublishConflictError,
    RollbackError,
    StalePublishError,
    publish_document,
    rollback,
)
from routing.config.store import ConfigStore, VersionUnavailableError

DRAFT_PREFIX = "d-"


def _iso(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class AdminService:
    """Status, versions, diffs, drafts, validate, simulate, publish (base version, four-eyes), rollback, audit."""

    def __init__(
        self,
        store: ConfigStore,
        *,
        four_eyes: bool = False,
        regions: Sequence[str] = (),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.four_eyes = four_eyes
        self.regions = list(regions)
        self.clock = clock
        self._compiled = CompiledCache()

    # --- reading ------------------------------------------------------------------------------------------------

    def me(self, who: Identity) -> dict[str, Any]:
        """The caller as the API sees it."""
        return {"user": who.user, "roles": sorted(who.roles), "lines_of_business": sorted(who.lines_of_business)}

    def _active(self) -> tuple[str, dict[str, Any]]:
        pointer = self.store.get_pointer()
        if pointer is None:
            raise AdminError(404, "not_found", "nothing is published yet")
        return pointer.version_id, self._version_document(pointer.version_id)

    def _version_document(self, version_id: str) -> dict[str, Any]:
        try:
            return self.store.load_document(version_id)
        except VersionUnavailableError as exc:
            raise AdminError(404, "not_found", str(exc)) from None

    def status(self, who: Identity) -> dict[str, Any]:
        """Active version and, per line of business (every region serves it), open/closed/emergency now and why."""
        require(who, "viewer")
        version, document = self._active()
        compiled = self._compiled.get(version, lambda: document, version)
        now = self.clock()
        lines = [{**row, "regions": self.regions} for row in line_status(document, compiled, now)]
        return {"active_version": version, "at": _iso(now), "lines_of_business": lines}

    def versions(self, who: Identity) -> dict[str, Any]:
        """Every version, newest first, and which one is active."""
        require(who, "viewer")
        pointer = self.store.get_pointer()
        items = [asdict(v) for v in reversed(self.store.list_versions())]
        return {"active_version": pointer.version_id if pointer else None, "versions": items}

    def version(self, who: Identity, version_id: str) -> dict[str, Any]:
        """One version with its document."""
        require(who, "viewer")
        info = self.store.get_version(version_id)
        if info is None:
            raise AdminError(404, "not_found", f"there is no version {version_id}")
        return {**asdict(info), "document": self._version_document(version_id)}

    def _document_of(self, ref: str) -> dict[str, Any]:
        if ref.startswith(DRAFT_PREFIX):
            self._draft(ref)
            return self.store.load_draft_document(ref)
        return self._version_document(ref)

    def diff(self, who: Identity, from_ref: str | None, to_ref: str) -> dict[str, Any]:
        """Per-item per-field changes; ``from`` defaults to the active version (or the draft's base)."""
        require(who, "viewer")
        if from_ref is None:
            draft = self._draft(to_ref) if to_ref.startswith(DRAFT_PREFIX) else None
            from_ref = draft.base_version if draft and draft.base_version else self._active()[0]
        changes = diff_documents(self._document_of(from_ref), self._document_of(to_ref))
        return {"from": from_ref, "to": to_ref, "changes": [c.as_dict() for c in changes]}

    def audit(self, who: Identity, limit: int) -> dict[str, Any]:
        """Newest audit records first."""
        require(who, "viewer")
        return {"records": [asdict(r) for r in self.store.list_audit(limit)]}

    # --- drafts -------------------------------------------------------------------------------------------------

    def _draft(self, draft_id: str) -> Draft:
        draft = self.store.get_draft(draft_id)
        if draft is None:
            raise AdminError(404, "not_found", f"there is no draft {draft_id}")
        return draft

    def _open_draft(self, draft_id: str) -> Draft:
        draft = self._draft(draft_id)
        if draft.state not in ("open", "pending_approval"):
            raise AdminError(409, "draft_closed", f"draft {draft_id} is {draft.state}")
        return draft

    def create_draft(self, who: Identity) -> dict[str, Any]:
        """A new draft holding the active version's document."""
        require(who, "editor")
        version, document = self._active()
        at = _iso(self.clock())
        draft = Draft(f"{DRAFT_PREFIX}{uuid.uuid4().hex[:12]}", who.user, version, "open", at, at)
        try:
            saved = self.store.save_draft(draft, document, expected_revision=None)
        except DraftTooLargeError as exc:
            raise AdminError(413, "too_large", str(exc)) from None
        return {"draft_id": saved.draft_id, "base_version": version, "revision": saved.revision}

    def get_draft(self, who: Identity, draft_id: str) -> dict[str, Any]:
        """The draft, its document and its approvals."""
        require(who, "viewer")
        draft = self._draft(draft_id)
        approvals = [asdict(a) for a in self.store.list_approvals(draft_id)]
        return {**asdict(draft), "document": self.store.load_draft_document(draft_id), "approvals": approvals}

    def edit_draft(
        self, who: Identity, draft_id: str, sets: Sequence[tuple[str, Any]], revision: int | None = None
    ) -> dict[str, Any]:
        """Set operations-owned fields in scope; the result must validate (422 with every error otherwise)."""
        require(who, "editor")
        draft = self._open_draft(draft_id)
        if revision is not None and revision != draft.revision:
            raise AdminError(409, "draft_changed", f"draft {draft_id} is at revision {draft.revision}, not {revision}")
        document = copy.deepcopy(self.store.load_draft_document(draft_id))
        for path, value in sets:
            section, key, name = check_ownership(path)
            item_of(document, section, key)
            check_scope(who, document, path=path, section=section, key=key, name=name)
            set_field(document, section, key, name, value)
        errors = validation_errors(document)
        if errors:
            raise AdminError(422, "invalid_value", f"{len(errors)} problem(s): nothing saved", list(errors))
        edited = replace(draft, state="open", updated_at=_iso(self.clock()))
        try:
            saved = self.store.save_draft(edited, document, expected_revision=draft.revision)
        except DraftConflictError as exc:
            raise AdminError(409, "draft_changed", str(exc)) from None
        except DraftTooLargeError as exc:
            raise AdminError(413, "too_large", str(exc)) from None
        return {"draft_id": draft_id, "revision": saved.revision, "state": saved.state}

    def validate_draft(self, who: Identity, draft_id: str) -> dict[str, Any]:
        """Every error of the draft, with keyed paths."""
        require(who, "editor")
        self._draft(draft_id)
        errors = validation_errors(self.store.load_draft_document(draft_id))
        return {"valid": not errors, "errors": errors}

    def simulate(self, who: Identity, request: Mapping[str, Any]) -> dict[str, Any]:
        """Route a described contact with a draft, a version, or the active version, at a time and queue load.

        A draft holds only validated documents (created from a version, every edit validated), so there is no
        validation here; the compiled document is cached by draft revision or version id (both immutable)."""
        require(who, "editor")
        if request.get("draft_id"):
            ref = str(request["draft_id"])
            draft = self._draft(ref)
            key = f"{ref}@{draft.revision}"
            compiled = self._compiled.get(key, lambda: self.store.load_draft_document(ref), ref)
        else:
            ref = str(request.get("version") or self._active()[0])
            compiled = self._compiled.get(ref, lambda: self._version_document(ref), ref)
        at = request.get("at") or self.clock()
        decision = simulate_contact(compiled, request["contact"], at, request.get("metrics") or {})
        return {"config": ref, "at": _iso(at), "decision": decision}

    # --- publishing ---------------------------------------------------------------------------------------------

    def publish(self, who: Identity, draft_id: str, base_version: str, reason: str) -> tuple[int, dict[str, Any]]:
        """Publish the draft if the active version is still its base (409 with the diff otherwise); with four-eyes,
        202 until someone other than the author approved this revision."""
        require(who, "publisher")
        draft = self._open_draft(draft_id)
        if base_version != draft.base_version:
            raise AdminError(409, "base_mismatch", f"draft {draft_id} started from {draft.base_version}")
        if self.four_eyes and not self._approved(draft):
            pending = replace(draft, state="pending_approval", reason=reason, updated_at=_iso(self.clock()))
            self._save_state(draft, pending)
            return 202, {"draft_id": draft_id, "state": "pending_approval", "needs": "approval by someone else"}
        document = self.store.load_draft_document(draft_id)
        try:
            result = publish_document(
                self.store,
                document,
                actor=who.user,
                summary=f"{reason} (draft {draft_id} by {draft.author})",
                base_version=draft.base_version,
                verified=True,
                engineering="refuse",
                now=self.clock(),
            )
        except StalePublishError as exc:
            details = [c.as_dict() for c in exc.changes]
            raise AdminError(409, "stale_base", str(exc), [{"active_version": exc.active_version}, *details]) from None
        except (PublishConflictError, EngineeringOwnedError, ConfigInvalidError) as exc:
            status = 409 if isinstance(exc, PublishConflictError) else 422
            raise AdminError(status, "not_published", str(exc)) from None
        done = replace(draft, state="published", published_version=result.version_id, reason=reason)
        self._save_state(draft, done)
        return 200, {"version": result.version_id, "status": result.status, "previous": result.previous_version_id}

    def _approved(self, draft: Draft) -> bool:
        return any(
            a.approver != draft.author and a.draft_revision == draft.revision
            for a in self.store.list_approvals(draft.draft_id)
        )

    def _save_state(self, draft: Draft, new: Draft) -> None:
        try:
            self.store.save_draft(new, None, expected_revision=draft.revision)
        except DraftConflictError as exc:
            raise AdminError(409, "draft_changed", str(exc)) from None

    def approve(self, who: Identity, draft_id: str, reason: str) -> dict[str, Any]:
        """Four-eyes: an approver other than the author approves the draft as it stands now."""
        require(who, "approver")
        draft = self._open_draft(draft_id)
        if who.user == draft.author:
            raise AdminError(403, "self_approval", "four-eyes: the author cannot approve their own draft")
        at = _iso(self.clock())
        self.store.add_approval(Approval(draft_id, who.user, at, reason, draft.revision))
        return {"draft_id": draft_id, "approved_by": who.user, "revision": draft.revision}

    def rollback(self, who: Identity, version: str, reason: str) -> dict[str, Any]:
        """Make the named version active again (never "the previous one": no toggling)."""
        require(who, "publisher")
        try:
            result = rollback(
                self.store, actor=who.user, to_version=version, reason=reason, now=self.clock(), verified=True
            )
        except RollbackError as exc:
            status = 404 if "does not exist" in str(exc) else 409
            raise AdminError(status, "not_rolled_back", str(exc)) from None
        except PublishConflictError as exc:
            raise AdminError(409, "conflict", str(exc)) from None
        return {"version": result.version_id, "previous": result.previous_version_id, "status": result.status}
