"""A per-item, per-field diff of two config documents: items matched by key, never by list position.

Paths are the ones the admin API edits: ``queues[cards_general].capacity``,
``schedules[cards_hours].holidays[2026-12-25].name``, ``defaults.closed_message``. A section of the normalized
document is a mapping of items by key; inside an item, a list whose elements all carry an identity (``key``, ``id``
or ``date``) is matched element by element, so one added holiday is one change, not the whole list rewritten.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Fields that identify an element of a list (closures and items: key; rules: id; holidays: date).
IDENTITY_FIELDS = ("key", "id", "date")
# Top-level sections that are not a mapping of items by key.
SINGLE_SECTIONS = frozenset({"defaults", "schema"})
SHORT_LIMIT = 160


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

    def as_dict(self) -> dict[str, Any]:
        """The JSON form the API and the audit trail use."""
        return {"path": self.path, "kind": self.kind, "before": self.before, "after": self.after}


def _short(value: Any, limit: int = SHORT_LIMIT) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def identity_of(element: object) -> str | None:
    """The key an element of a list is matched by, or None when it has none."""
    if isinstance(element, Mapping):
        for name in IDENTITY_FIELDS:
            value = element.get(name)
            if isinstance(value, str | int) and not isinstance(value, bool):
                return str(value)
    return None


def _keyed(items: Sequence[Any]) -> dict[str, Any] | None:
    """``{identity: element}`` when every element has a distinct identity, else None (compare the list whole)."""
    out: dict[str, Any] = {}
    for element in items:
        ident = identity_of(element)
        if ident is None or ident in out:
            return None
        out[ident] = element
    return out


def _diff_mappings(before: Mapping[str, Any], after: Mapping[str, Any], path: str, bracket: bool) -> list[Change]:
    changes: list[Change] = []
    for key in sorted(set(before) | set(after), key=str):
        p = f"{path}[{key}]" if bracket else (f"{path}.{key}" if path else str(key))
        if key not in after:
            changes.append(Change(p, "removed", before=before[key]))
        elif key not in before:
            changes.append(Change(p, "added", after=after[key]))
        else:
            changes.extend(diff_values(before[key], after[key], p))
    return changes


def diff_values(before: Any, after: Any, path: str) -> list[Change]:
    """Changes between two values at ``path``: mappings by key, keyed lists by identity, the rest whole."""
    if before == after:
        return []
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        return _diff_mappings(before, after, path, bracket=False)
    if isinstance(before, list) and isinstance(after, list):
        keyed_before, keyed_after = _keyed(before), _keyed(after)
        if keyed_before is not None and keyed_after is not None:
            return _diff_mappings(keyed_before, keyed_after, path, bracket=True)
    return [Change(path, "changed", before, after)]


def diff_documents(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    """Every change from ``before`` to ``after``, one per item field (see the module docstring)."""
    changes: list[Change] = []
    for section in sorted(set(before) | set(after), key=str):
        b, a = before.get(section), after.get(section)
        if section not in after:
            changes.append(Change(str(section), "removed", before=b))
        elif section not in before:
            changes.append(Change(str(section), "added", after=a))
        elif section in SINGLE_SECTIONS or not (isinstance(b, Mapping) and isinstance(a, Mapping)):
            changes.extend(diff_values(b, a, str(section)))
        else:
            changes.extend(_diff_mappings(b, a, str(section), bracket=True))
    return changes


def split_path(path: str) -> tuple[str, str | None, str | None]:
    """``schedules[cards_hours].holidays[2026-12-25].name`` → ``("schedules", "cards_hours", "holidays")``;
    ``defaults.closed_message`` → ``("defaults", None, "closed_message")``; ``queues[q1]`` → ``("queues", "q1",
    None)`` (a whole item). The field is the item's own field, whatever lies below it."""
    head, sep, rest = path.partition("[")
    if not sep:
        section, _, field = path.partition(".")
        return section, None, (field.split(".", 1)[0].split("[", 1)[0] or None)
    key, _, tail = rest.partition("]")
    field = tail.lstrip(".").split(".", 1)[0].split("[", 1)[0]
    return head, key, field or None


def related(a: str, b: str) -> bool:
    """Whether one path is the other or lies below it."""
    return a == b or a.startswith((b + ".", b + "[")) or b.startswith((a + ".", a + "["))
