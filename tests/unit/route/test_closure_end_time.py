"""Emergency closures with an automatic end (issue 13): the schema takes ``ends_at`` with its offset, and the
engine applies the closure strictly before it."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from routing.common.contact import ContactRequest
from routing.config.loader import validate_document
from routing.route.decision import RouteStatus
from routing.route.engine import CompiledConfig, decide
from routing.route.schedule import CompiledSchedule

CARDS_MAIN = ContactRequest(dialed_number="+18005550100", customer_number="+12125550123")


def _with_closure(document: dict[str, Any], **closure: Any) -> dict[str, Any]:
    out = copy.deepcopy(document)
    out["schedules"]["cards_hours"]["emergency_closures"] = [
        {"key": "severe_weather", "active": True, "message": "Storm.", **closure}
    ]
    return out


def test_the_engine_applies_a_closure_until_its_end(sample_document: dict[str, Any]) -> None:
    result = validate_document(_with_closure(sample_document, ends_at="2026-12-03T17:00:00-05:00"))
    assert result.ok, [str(i) for i in result.issues]
    assert result.document is not None
    compiled = CompiledConfig.compile(result.document)
    # Thursday, within cards hours (08:00-20:00 New York) on both sides of the end
    assert decide(CARDS_MAIN, compiled, now=datetime(2026, 12, 3, 21, 59, 59, tzinfo=UTC)).status == (
        RouteStatus.EMERGENCY
    )
    assert decide(CARDS_MAIN, compiled, now=datetime(2026, 12, 3, 22, 0, tzinfo=UTC)).status == RouteStatus.ROUTED


def test_a_closure_without_an_end_stays(sample_document: dict[str, Any]) -> None:
    compiled = CompiledConfig.compile(_with_closure(sample_document))
    assert decide(CARDS_MAIN, compiled, now=datetime(2030, 1, 2, 15, 0, tzinfo=UTC)).status == RouteStatus.EMERGENCY


def test_an_end_time_needs_its_offset(sample_document: dict[str, Any]) -> None:
    result = validate_document(_with_closure(sample_document, ends_at="2026-12-03T17:00:00"))
    assert not result.ok
    assert any("ends_at" in i.path for i in result.issues)


def test_a_later_active_closure_applies_once_the_first_ended() -> None:
    schedule = CompiledSchedule.compile(
        "s",
        {
            "time_zone": "UTC",
            "emergency_closures": [
                {"key": "a", "active": True, "message": "A", "ends_at": "2026-01-01T10:00:00Z"},
                {"key": "off", "active": False, "message": "never"},
                {"key": "b", "active": True, "message": "B"},
            ],
        },
    )
    assert schedule.emergency_at(datetime(2026, 1, 1, 9, 0, tzinfo=UTC)).key == "a"  # type: ignore[union-attr]
    assert schedule.emergency_at(datetime(2026, 1, 1, 10, 0)).key == "b"  # type: ignore[union-attr]  # naive: UTC
