"""Field paths of the admin API (``schedules[cards_hours].emergency_closures``): parse, read, write, and which
lines of business a change touches (an editor's scope)."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from routing.admin.identity import AdminError, Identity
from routing.config.ownership import is_operations_field
from routing.config.schema import SECTION_MODELS

_ITEM_PATH = re.compile(r"^([a-z_]+)\[([^\[\]]{1,128})\]\.([a-z_]+)$")
_DEFAULTS_PATH = re.compile(r"^defaults\.([a-z_]+)$")


def parse_field_path(path: str) -> tuple[str, str | None, str]:
    """``section[key].field`` or ``defaults.field`` → (section, key, field); 422 for anything else."""
    if m := _DEFAULTS_PATH.match(path):
        return "defaults", None, m.group(1)
    if (m := _ITEM_PATH.match(path)) and m.group(1) in SECTION_MODELS:
        return m.group(1), m.group(2), m.group(3)
    raise AdminError(
        422, "invalid_path", f"{path!r} is not a field path", ["section[item_key].field or defaults.field"]
    )


def check_ownership(path: str) -> tuple[str, str | None, str]:
    """Parse ``path`` and refuse (403 ``engineering_owned``) a field operations do not own."""
    section, key, name = parse_field_path(path)
    if not is_operations_field(section, name):
        raise AdminError(
            403,
            "engineering_owned",
            f"{path}: {section}.{name} is owned by engineering (change it in git; it ships with the pipeline)",
        )
    return section, key, name


# Schedule fields the engine reads only for an entry point's own hours (its line's, or the entry's schedule): a
# queue's ``hours`` and a callback policy's ``schedule`` use weekly hours and holidays, never these.
_ENTRY_ONLY_SCHEDULE_FIELDS = frozenset({"emergency_closures", "closed_message"})


def lines_touched(document: Mapping[str, Any], section: str, key: str | None, name: str = "") -> set[str | None]:
    """The lines of business a change to ``section[key].name`` affects; ``None`` in the set means shared by all."""
    if section == "defaults" or key is None:
        return {None}
    lobs: Mapping[str, Mapping[str, Any]] = document.get("lines_of_business") or {}
    queues: Mapping[str, Mapping[str, Any]] = document.get("queues") or {}
    entries: Mapping[str, Mapping[str, Any]] = document.get("entry_points") or {}
    if section == "queues":
        return {queues.get(key, {}).get("line_of_business")}
    found: set[str | None] = set()
    if section == "schedules":
        found |= {k for k, lob in lobs.items() if lob.get("schedule") == key}
        found |= {e.get("line_of_business") for e in entries.values() if e.get("schedule") == key}
        if name not in _ENTRY_ONLY_SCHEDULE_FIELDS:
            found |= {q.get("line_of_business") for q in queues.values() if q.get("hours") == key}
            for policy in (document.get("callback_policies") or {}).values():
                if policy.get("schedule") == key:
                    found |= lines_touched(document, "callback_policies", policy.get("key"), "")
    elif section == "callback_policies":
        found |= {k for k, lob in lobs.items() if lob.get("callback_policy") == key}
        found |= {q.get("line_of_business") for q in queues.values() if q.get("callback_policy") == key}
    # Referenced by nothing we can attribute: treat it as shared (only an editor of every line may change it).
    return found or {None}


def check_scope(
    identity: Identity, document: Mapping[str, Any], *, path: str, section: str, key: str | None, name: str
) -> None:
    """403 ``out_of_scope`` unless the caller may change every line of business the change touches."""
    touched = lines_touched(document, section, key, name)
    outside = sorted(str(line or "(shared)") for line in touched if not identity.in_scope(line))
    if outside:
        raise AdminError(
            403,
            "out_of_scope",
            f"{path} affects line(s) of business {', '.join(outside)}, outside {identity.user}'s scope",
            [{"path": path, "lines_of_business": outside}],
        )


def item_of(document: dict[str, Any], section: str, key: str | None) -> dict[str, Any]:
    """The item a path names; 404 when it does not exist (operations tune items, never create them)."""
    if section == "defaults":
        target = document.setdefault("defaults", {})
    else:
        target = (document.get(section) or {}).get(key or "")
    if not isinstance(target, dict):
        raise AdminError(404, "not_found", f"there is no {section} item {key!r}")
    return target


def set_field(document: dict[str, Any], section: str, key: str | None, name: str, value: Any) -> None:
    """Write one field in place (None removes it); 404 when the item does not exist."""
    target = item_of(document, section, key)
    if value is None:
        target.pop(name, None)
    else:
        target[name] = copy.deepcopy(value)
