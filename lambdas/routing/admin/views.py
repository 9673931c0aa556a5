"""Read-side computations of the admin API: status now, validation with keyed paths, simulate a contact."""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import asdict
from datetime import datetime
from typing import Any

from routing.admin.identity import AdminError
from routing.common.contact import ContactRequest
from routing.config.loader import ConfigIssue, validate_document
from routing.config.schema import SECTION_MODELS
from routing.route.engine import CompiledConfig, decide

_POSITION = re.compile(r"^([a-z_]+)\[(\d+)\](.*)$")


def keyed_issue_path(document: Mapping[str, Any], issue: ConfigIssue) -> str:
    """``schedules[3].holidays[0].date`` → ``schedules[cards_hours].holidays[0].date``: the loader validates the
    document as one list per section (``document_to_sources``, in key order), so position i is the i-th key."""
    m = _POSITION.match(issue.path)
    if not m or m.group(1) not in SECTION_MODELS:
        return issue.path
    keys = list((document.get(m.group(1)) or {}).keys())
    index = int(m.group(2))
    return f"{m.group(1)}[{keys[index]}]{m.group(3)}" if index < len(keys) else issue.path


def validation_errors(document: Mapping[str, Any]) -> list[dict[str, str]]:
    """Every problem of ``document`` as ``{path, reason}`` with item keys in the paths (empty: valid)."""
    result = validate_document(document)
    return [{"path": keyed_issue_path(document, i), "reason": i.message} for i in result.issues]


def line_status(document: Mapping[str, Any], compiled: CompiledConfig, now: datetime) -> list[dict[str, Any]]:
    """Per line of business: ``open``/``closed``/``emergency`` at ``now``, why, the message, and until when."""
    out: list[dict[str, Any]] = []
    for key, lob in sorted((document.get("lines_of_business") or {}).items()):
        row: dict[str, Any] = {"line_of_business": key, "name": lob.get("name") or key, "schedule": None}
        schedule = compiled.schedules.get(lob.get("schedule") or "")
        if schedule is None:
            out.append({**row, "state": "open", "why": "no schedule: always open", "message": "", "until": None})
            continue
        row["schedule"] = schedule.key
        local = now.astimezone(schedule.zone)
        emergency = schedule.emergency_at(now)
        if emergency is not None:
            until = emergency.ends_at.isoformat() if emergency.ends_at else None
            out.append({**row, "state": "emergency", "why": f"emergency closure {emergency.key}", "until": until})
            out[-1]["message"] = emergency.message
        elif not schedule.is_open(local):
            holiday = local.date().isoformat() in schedule.holidays
            why = f"holiday {local.date().isoformat()}" if holiday else "outside weekly hours"
            message = schedule.closed_message or compiled.closed_message
            out.append({**row, "state": "closed", "why": why, "message": message, "until": None})
        else:
            out.append({**row, "state": "open", "why": "within hours", "message": "", "until": None})
    return out


class _Metrics:
    """A ``MetricsView`` from the request: ``{queue_key: {metric: value}}`` (keys, not Connect ids)."""

    def __init__(self, by_queue_id: Mapping[str, Mapping[str, float]]) -> None:
        self._by_id = by_queue_id

    def prefetch(self, queue_ids: frozenset[str]) -> None:
        """Nothing to fetch: the values came with the request."""

    def metric(self, queue_id: str, name: str, channel: str = "VOICE") -> float | None:  # noqa: ARG002
        """The given value, or None (unknown) when the request did not set it."""
        value = self._by_id.get(queue_id, {}).get(name)
        return float(value) if value is not None else None

    def age_seconds(self, queue_id: str) -> float | None:
        """Fresh by definition when given."""
        return 0.0 if queue_id in self._by_id else None


class CompiledCache:
    """A few compiled documents by an immutable key (a version id, a draft id at a revision): a simulate on a
    600-queue centre must not reload and recompile the document on every call."""

    def __init__(self, size: int = 4) -> None:
        self._size = size
        self._items: OrderedDict[str, CompiledConfig] = OrderedDict()

    def get(self, key: str, load: Callable[[], Mapping[str, Any]], version: str) -> CompiledConfig:
        """The compiled document (loaded and compiled now if new); 422 if it does not compile."""
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        try:
            compiled = CompiledConfig.compile(load(), version=version)
        except (KeyError, ValueError, TypeError) as exc:  # RuleError is a ValueError
            raise AdminError(422, "invalid_document", f"{version} does not compile: {exc}") from None
        self._items[key] = compiled
        while len(self._items) > self._size:
            self._items.popitem(last=False)
        return compiled


def simulate_contact(
    compiled: CompiledConfig,
    contact: Mapping[str, Any],
    at: datetime,
    metrics: Mapping[str, Mapping[str, float]],
) -> dict[str, Any]:
    """Route one described contact at ``at`` with the given queue metrics; the decision and its explanation."""
    by_id = {compiled.queues[k].profile.queue_id: v for k, v in metrics.items() if k in compiled.queues}
    request = ContactRequest(
        contact_id="simulated",
        channel=str(contact.get("channel") or "VOICE").upper(),
        customer_number=str(contact.get("caller") or ""),
        dialed_number=str(contact.get("dialed_number") or ""),
        attributes={str(k): str(v) for k, v in (contact.get("attributes") or {}).items()},
        parameters={"entry_key": str(contact["entry_point"])} if contact.get("entry_point") else {},
    )
    decision = decide(request, compiled, now=at, metrics=_Metrics(by_id), config_source="simulated")
    out = asdict(decision)
    out["status"] = decision.status.value
    out["explanation"] = explain(out)
    return out


def explain(d: Mapping[str, Any]) -> str:
    """One sentence an operations person can read."""
    queue = (d.get("queue") or {}).get("key", "?")
    status = d["status"]
    if status == "EMERGENCY":
        return f"Emergency closure ({d['reason']}) for {d['line_of_business']}: callers hear the closure message."
    if status == "CLOSED":
        return f"Closed ({d['reason']}) for {d['line_of_business']}: callers hear the closed message."
    if status == "ROUTED":
        via = f"rule {d['rule_id']}" if d["reason"] == "rule" else f"ruleset {d['ruleset']} default"
        fallback = f", overflowed ({d['fallback_reason']})" if d.get("fallback_reason") else ""
        offer = f"; callback offered ({d['callback_reason']})" if d.get("callback_offer") else ""
        return f"Routed by {via} to queue {queue} at priority {d['priority']}{fallback}{offer}."
    return f"Default queue {queue} ({d['reason']})."
