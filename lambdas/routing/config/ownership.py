"""Who owns which config field, and how a deploy merges with changes operations made at run time.

Config ships through the pipeline (git → deploy-time publish), but operations change some fields at run time
(an emergency closure switched on, a holiday added, a prompt changed, a callback threshold tuned) by publishing a
new version. A deploy must never silently revert those. So every publish by the pipeline is a three-way merge:

* ``base``   — the document of the last version the pipeline published (what git last said),
* ``ours``   — the document git says now,
* ``theirs`` — the active document (git's last version plus whatever operations published since).

For a field operations own: if operations changed it since ``base``, their value stays (and if git changed it
too, the conflict is reported and operations still win — the runbook says to fold the value back into git).
Otherwise git's value is taken. Fields operations do not own always come from git. Items (a queue, a schedule)
exist because git says so: operations can tune a field of a schedule, not create or delete a schedule.

A live change outside that table (published with ``--force``, or before the pipeline's first deploy) cannot be
kept: the deploy overrides it, and says so in ``MergeReport.overridden``, its summary and the audit record.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from routing.config.diff import Change, diff_documents, related, split_path

# (section, field) pairs operations may change at run time, per item of the section; "defaults" is one item.
OPERATIONS_FIELDS: frozenset[tuple[str, str]] = frozenset(
    {
        ("defaults", "closed_message"),
        ("defaults", "error_message"),
        ("schedules", "emergency_closures"),
        ("schedules", "holidays"),
        ("schedules", "weekly"),
        ("schedules", "closed_message"),
        ("queues", "attributes"),
        ("queues", "capacity"),
        ("callback_policies", "enabled"),
        ("callback_policies", "offer"),
        ("callback_policies", "wait_seconds"),
        ("callback_policies", "contacts_in_queue"),
        ("callback_policies", "max_open_callbacks"),
    }
)
_MISSING = object()


@dataclass(frozen=True, slots=True)
class FieldDecision:
    """What the merge did with one operations-owned field."""

    path: str
    outcome: str  # kept_operations | conflict_operations_kept
    operations_value: Any = None
    git_value: Any = None


@dataclass(slots=True)
class MergeReport:
    """The kept operations changes and the conflicts, for the audit record and the deploy log."""

    kept: list[FieldDecision] = field(default_factory=list)
    overridden: list[Change] = field(default_factory=list)  # live changes this deploy reverts

    @property
    def conflicts(self) -> list[FieldDecision]:
        """Fields both git and operations changed (operations' value was kept)."""
        return [d for d in self.kept if d.outcome == "conflict_operations_kept"]

    def summary(self) -> str:
        """One line for the version summary and the audit trail; an override comes first, in capitals."""
        parts: list[str] = []
        if self.overridden:
            paths = ", ".join(c.path for c in self.overridden[:8]) + (" …" if len(self.overridden) > 8 else "")
            parts.append(f"WARNING: OVERRIDES {len(self.overridden)} live change(s) not in git: {paths}")
        if self.kept:
            paths = ", ".join(d.path for d in self.kept[:8]) + (" …" if len(self.kept) > 8 else "")
            parts.append(f"kept {len(self.kept)} operations change(s) ({len(self.conflicts)} conflict(s)): {paths}")
        elif not self.overridden:
            parts.append("no operations changes to keep")
        return "; ".join(parts)


def is_operations_field(section: str, name: str) -> bool:
    """Whether operations may change ``section.<item>.name`` at run time."""
    return (section, name) in OPERATIONS_FIELDS


def is_operations_change(change: Change) -> bool:
    """Whether a change touches only an operations-owned field of an existing item."""
    section, _, name = split_path(change.path)
    return name is not None and is_operations_field(section, name)


def engineering_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    """The changes from ``before`` to ``after`` that engineering owns (structure: through git and the pipeline)."""
    return [c for c in diff_documents(before, after) if not is_operations_change(c)]


def _overridden(base: Mapping[str, Any] | None, theirs: Mapping[str, Any], merged: Mapping[str, Any]) -> list[Change]:
    """Live changes (``base`` → ``theirs``) that ``merged`` does not keep. No base: every difference counts."""
    reverted = diff_documents(theirs, merged)
    if base is None:
        return reverted
    live = [c.path for c in diff_documents(base, theirs)]
    return [c for c in reverted if any(related(c.path, p) for p in live)]


def _items(document: Mapping[str, Any], section: str) -> Mapping[str, Any]:
    if section == "defaults":
        return {"": document.get("defaults") or {}}
    return document.get(section) or {}


def merge_for_deploy(
    base: Mapping[str, Any] | None, ours: Mapping[str, Any], theirs: Mapping[str, Any] | None
) -> tuple[dict[str, Any], MergeReport]:
    """Three-way merge of a deploy (see the module docstring). ``base``/``theirs`` None: nothing to keep."""
    merged: dict[str, Any] = copy.deepcopy(dict(ours))
    report = MergeReport()
    if theirs is None:
        return merged, report
    _keep_operations(base or {}, merged, theirs, report)
    report.overridden = _overridden(base, theirs, merged)
    return merged, report


def _keep_operations(
    base: Mapping[str, Any], merged: dict[str, Any], theirs: Mapping[str, Any], report: MergeReport
) -> None:
    """Put back into ``merged`` each operations-owned field operations changed since ``base``."""
    for section, name in sorted(OPERATIONS_FIELDS):
        ours_items, theirs_items, base_items = _items(merged, section), _items(theirs, section), _items(base, section)
        for key, item in ours_items.items():
            their_item = theirs_items.get(key)
            if their_item is None:
                continue  # a new item from git: nothing operations could have changed
            base_item = base_items.get(key) or {}
            their_value = their_item.get(name, _MISSING)
            base_value = base_item.get(name, _MISSING) if key in base_items else _MISSING
            if key not in base_items or their_value == base_value:
                continue  # operations did not change it since the last deploy (or we cannot tell: git wins)
            our_value = item.get(name, _MISSING)
            path = f"{section}.{key}.{name}" if key else f"{section}.{name}"
            outcome = "kept_operations" if our_value in (base_value, their_value) else "conflict_operations_kept"
            if their_value is _MISSING:
                item.pop(name, None)
            else:
                item[name] = copy.deepcopy(their_value)
            report.kept.append(
                FieldDecision(
                    path,
                    outcome,
                    None if their_value is _MISSING else their_value,
                    None if our_value is _MISSING else our_value,
                )
            )
