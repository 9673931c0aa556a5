"""Cross-item checks of a validated document: every reference names an item that exists, ids are unique, and a
callback never rings during its own confirmation.

A reference to an item that exists but failed validation (or sits in a part of a file set aside after a syntax
error) is not reported: its own error is, and an "unknown" here would be a knock-on of the same mistake. A reference
to a key that exists nowhere suggests the nearest key that does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from routing.config.issues import ConfigIssue, Source, suggest

#: The flow's confirm call limit (InvocationTimeLimitSeconds of ConfirmCallback), part of the confirmation time.
CONFIRM_INVOKE_SECONDS = 3

# What an item of each section is called in messages ("lines_of_business".rstrip("s") would say "busine").
KIND = {
    "lines_of_business": "line of business",
    "queues": "queue",
    "entry_points": "entry point",
    "schedules": "schedule",
    "rulesets": "ruleset",
    "callback_policies": "callback policy",
    "callback_profiles": "callback profile",
}

#: (section, key) → the source holding the item and the item's place in it, e.g. ``("queues", 14)``
Where = Mapping[tuple[str, str], tuple[Source, tuple[Any, ...]]]


def reference_issues(
    doc: Mapping[str, Any], where: Where, defaults: tuple[Source, tuple[Any, ...]] | None, known: Mapping[str, set[str]]
) -> list[ConfigIssue]:
    """Unknown references (with a suggestion), reused queue ids and dialed numbers, too-short callback delays.

    ``known`` holds, per section, keys that exist but are not in ``doc`` (invalid or set-aside items).
    """
    issues: list[ConfigIssue] = []

    def check(at: tuple[Source, tuple[Any, ...]], attr: tuple[Any, ...], target: str, value: object) -> None:
        if value is None or value in doc[target] or value in known[target]:
            return
        source, loc = at
        nearest = suggest(value, doc[target])
        hint = f" (did you mean {nearest!r}?)" if nearest else ""
        issues.append(source.issue((*loc, *attr), f"unknown {KIND[target]} {value!r}{hint}", nearest))

    if defaults is not None:
        check(defaults, ("default_queue",), "queues", doc["defaults"].get("default_queue"))
        check(defaults, ("callback_policy",), "callback_policies", doc["defaults"].get("callback_policy"))
    for key, lob in doc["lines_of_business"].items():
        at = where[("lines_of_business", key)]
        check(at, ("schedule",), "schedules", lob.get("schedule"))
        check(at, ("default_queue",), "queues", lob.get("default_queue"))
        check(at, ("callback_policy",), "callback_policies", lob.get("callback_policy"))
    seen_ids: dict[str, str] = {}
    for key, q in doc["queues"].items():
        at = where[("queues", key)]
        check(at, ("line_of_business",), "lines_of_business", q.get("line_of_business"))
        check(at, ("hours",), "schedules", q.get("hours"))
        check(at, ("callback_policy",), "callback_policies", q.get("callback_policy"))
        check(at, ("transfer_queue",), "queues", q.get("transfer_queue"))
        if q["queue_id"] in seen_ids:
            issues.append(
                at[0].issue((*at[1], "queue_id"), f"queue_id already used by queue {seen_ids[q['queue_id']]!r}")
            )
        seen_ids.setdefault(q["queue_id"], key)
    issues += _entry_point_issues(doc, where, check)
    for key, rs in doc["rulesets"].items():
        at = where[("rulesets", key)]
        targets: list[tuple[tuple[Any, ...], Mapping[str, Any]]] = [
            (("rules", i, "then"), r["then"]) for i, r in enumerate(rs.get("rules", []))
        ]
        targets.append((("default",), rs["default"]))
        for tloc, target in targets:
            check(at, (*tloc, "queue"), "queues", target.get("queue"))
            for j, fb in enumerate(target.get("fallbacks", [])):
                check(at, (*tloc, "fallbacks", j, "queue"), "queues", fb.get("queue"))
    for key, p in doc["callback_policies"].items():
        at = where[("callback_policies", key)]
        check(at, ("schedule",), "schedules", p.get("schedule"))
        check(at, ("profile",), "callback_profiles", p.get("profile"))
    issues.extend(_callback_delay_issues(doc, where))
    return issues


def _entry_point_issues(doc: Mapping[str, Any], where: Where, check: Any) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    numbers: dict[str, str] = {}
    entry_keys: dict[str, str] = {}
    for key, e in doc["entry_points"].items():
        at = where[("entry_points", key)]
        check(at, ("line_of_business",), "lines_of_business", e.get("line_of_business"))
        check(at, ("ruleset",), "rulesets", e.get("ruleset"))
        check(at, ("schedule",), "schedules", e.get("schedule"))
        for attr, seen in (("dialed_number", numbers), ("entry_key", entry_keys)):
            value = e.get(attr)
            if value is None:
                continue
            if value in seen:
                issues.append(at[0].issue((*at[1], attr), f"{value!r} already used by entry point {seen[value]!r}"))
            seen.setdefault(value, key)
    return issues


def _callback_delay_issues(doc: Mapping[str, Any], where: Where) -> list[ConfigIssue]:
    """A callback must not ring while its caller still hears the confirmation: the profile's initial delay
    covers the confirm call and the longest confirmation prompt of any language."""
    from routing.route.prompts import DEFAULT_PROMPTS, speech_seconds

    texts = [DEFAULT_PROMPTS["callback_confirmed"]]
    texts += [
        str(lang["prompts"]["callback_confirmed"])
        for lang in (doc["defaults"].get("languages") or {}).values()
        if (lang.get("prompts") or {}).get("callback_confirmed")
    ]
    needed = math.ceil(CONFIRM_INVOKE_SECONDS + max(speech_seconds(t) for t in texts))
    issues = []
    for key, profile in doc["callback_profiles"].items():
        if profile["initial_delay_seconds"] < needed:
            source, loc = where[("callback_profiles", key)]
            issues.append(
                source.issue(
                    (*loc, "initial_delay_seconds"),
                    f"{profile['initial_delay_seconds']} s is shorter than the confirmation ({needed} s: the confirm "
                    "call and the longest confirmation prompt); the callback would ring while the caller listens",
                )
            )
    return issues
