"""Opening hours (routing.route.schedule): weekly hours, 24:00, holidays, emergency closures, time zones and DST."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from routing.common.contact import ContactRequest
from routing.route.engine import CompiledConfig, decide
from routing.route.schedule import CompiledSchedule, parse_interval

WEEKDAYS = {d: ["08:00-20:00"] for d in ("mon", "tue", "wed", "thu", "fri")}


def schedule(**spec: Any) -> CompiledSchedule:
    return CompiledSchedule.compile("hours", {"time_zone": "America/New_York", "weekly": WEEKDAYS, **spec})


def is_open(s: CompiledSchedule, utc: datetime) -> bool:
    return s.is_open(utc.astimezone(s.zone))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# --- intervals -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "interval"),
    [
        ("08:00-20:00", (480, 1200)),
        ("00:00-24:00", (0, 1440)),
        ("9:30-10:00", (570, 600)),
        (" 08:00 - 09:00 ", (480, 540)),
    ],
)
def test_parse_interval(text: str, interval: tuple[int, int]) -> None:
    assert parse_interval(text) == interval


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("20:00-08:00", "ends before it starts"),
        ("08:00-08:00", "ends before it starts"),
        ("24:00-24:00", "ends before it starts"),
        ("08:00-24:01", "HH:MM-HH:MM"),
        ("25:00-26:00", "HH:MM-HH:MM"),
        ("08:60-09:00", "HH:MM-HH:MM"),
        ("0800-0900", "HH:MM-HH:MM"),
        ("08:00", "HH:MM-HH:MM"),
        ("08:00-09:00-10:00", "HH:MM-HH:MM"),
        ("", "HH:MM-HH:MM"),
    ],
)
def test_bad_interval_is_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_interval(text)


# --- weekly hours --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (utc(2026, 11, 24, 12, 59), False),  # Tue 07:59 New York
        (utc(2026, 11, 24, 13, 0), True),  # Tue 08:00: the start is inside
        (utc(2026, 11, 25, 0, 59), True),  # Tue 19:59
        (utc(2026, 11, 25, 1, 0), False),  # Tue 20:00: the end is outside
        (utc(2026, 11, 28, 15, 0), False),  # Saturday: no hours given
        (utc(2026, 11, 29, 15, 0), False),  # Sunday
    ],
)
def test_weekly_hours(when: datetime, expected: bool) -> None:
    assert is_open(schedule(), when) is expected


def test_several_intervals_a_day_leave_the_gap_closed() -> None:
    s = schedule(weekly={"mon": ["08:00-12:00", "13:00-17:00"]})
    assert is_open(s, utc(2026, 11, 23, 16, 59)) is True  # Mon 11:59
    assert is_open(s, utc(2026, 11, 23, 17, 30)) is False  # 12:30: lunch
    assert is_open(s, utc(2026, 11, 23, 18, 0)) is True  # 13:00


def test_24_00_keeps_the_day_open_to_midnight() -> None:
    s = schedule(weekly={"tue": ["20:00-24:00"], "wed": ["00:00-02:00"]})
    assert is_open(s, utc(2026, 11, 25, 4, 59, 59)) is True  # Tue 23:59:59 New York
    assert is_open(s, utc(2026, 11, 25, 5, 0)) is True  # Wed 00:00: the next day's interval
    assert is_open(s, utc(2026, 11, 25, 7, 0)) is False  # Wed 02:00
    all_day = schedule(weekly={"sun": ["00:00-24:00"]})
    assert is_open(all_day, utc(2026, 11, 29, 5, 0)) is True  # Sun 00:00
    assert is_open(all_day, utc(2026, 11, 30, 4, 59)) is True  # Sun 23:59
    assert is_open(all_day, utc(2026, 11, 30, 5, 0)) is False  # Mon 00:00: Monday has no hours


# --- holidays ------------------------------------------------------------------------------------------------


def test_a_holiday_without_hours_is_closed_all_day() -> None:
    s = schedule(holidays=[{"date": "2026-11-26", "name": "Thanksgiving"}])
    assert is_open(s, utc(2026, 11, 26, 16, 0)) is False  # Thu 11:00, a weekday
    assert is_open(s, utc(2026, 11, 27, 16, 0)) is True  # the day after: weekly hours again


def test_a_holiday_with_hours_replaces_the_weekly_hours() -> None:
    s = schedule(
        holidays=[
            {"date": "2026-12-24", "name": "Christmas Eve", "hours": ["08:00-13:00"]},
            {"date": "2026-12-27", "name": "Sunday sale", "hours": ["10:00-14:00"]},
        ]
    )
    assert is_open(s, utc(2026, 12, 24, 17, 59)) is True  # Thu 12:59
    assert is_open(s, utc(2026, 12, 24, 18, 0)) is False  # 13:00: closed although weekly says 20:00
    assert is_open(s, utc(2026, 12, 27, 16, 0)) is True  # a Sunday opened by a holiday entry
    assert is_open(s, utc(2026, 12, 27, 20, 0)) is False


def test_a_holiday_is_the_local_date_not_the_utc_date() -> None:
    s = schedule(
        weekly={"thu": ["00:00-24:00"], "wed": ["00:00-24:00"]}, holidays=[{"date": "2026-11-26", "name": "x"}]
    )
    assert is_open(s, utc(2026, 11, 26, 4, 0)) is True  # UTC Thursday, still Wednesday 23:00 in New York
    assert is_open(s, utc(2026, 11, 26, 5, 0)) is False  # Thursday 00:00 in New York


# --- time zones and daylight saving --------------------------------------------------------------------------


def test_the_same_instant_is_open_in_one_zone_and_closed_in_another() -> None:
    hours = {"weekly": {"tue": ["09:00-17:00"]}}
    instant = utc(2026, 11, 24, 15, 30)  # 10:30 New York, 07:30 Los Angeles, 02:30 Wednesday Sydney
    assert is_open(CompiledSchedule.compile("ny", {"time_zone": "America/New_York", **hours}), instant) is True
    assert is_open(CompiledSchedule.compile("la", {"time_zone": "America/Los_Angeles", **hours}), instant) is False
    assert is_open(CompiledSchedule.compile("syd", {"time_zone": "Australia/Sydney", **hours}), instant) is False


def test_opening_follows_daylight_saving_time() -> None:
    s = schedule(weekly={"mon": ["08:00-09:00"]})
    # 13:30 UTC is 08:30 EST in winter, but 09:30 EDT after the March change.
    assert is_open(s, utc(2026, 3, 2, 13, 30)) is True  # Monday before DST
    assert is_open(s, utc(2026, 3, 9, 13, 30)) is False  # Monday after DST (09:30 local)
    assert is_open(s, utc(2026, 3, 9, 12, 30)) is True  # 08:30 EDT


def test_the_spring_forward_night() -> None:
    # 2026-03-08 02:00 EST jumps to 03:00 EDT: 06:59 UTC is 01:59, 07:00 UTC is already 03:00.
    s = schedule(weekly={"sun": ["03:00-04:00"]})
    assert is_open(s, utc(2026, 3, 8, 6, 59)) is False
    assert is_open(s, utc(2026, 3, 8, 7, 0)) is True


def test_the_fall_back_night_repeats_an_hour() -> None:
    # 2026-11-01 02:00 EDT falls back to 01:00 EST: 01:30 local happens twice, and is open both times.
    s = schedule(weekly={"sun": ["01:00-02:00"]})
    assert is_open(s, utc(2026, 11, 1, 5, 30)) is True  # 01:30 EDT
    assert is_open(s, utc(2026, 11, 1, 6, 30)) is True  # 01:30 EST
    assert is_open(s, utc(2026, 11, 1, 7, 30)) is False  # 02:30 EST


# --- emergency closures --------------------------------------------------------------------------------------


def test_only_an_active_emergency_closure_counts() -> None:
    inactive = schedule(emergency_closures=[{"key": "storm", "active": False, "message": "m"}])
    assert inactive.emergency is None
    active = schedule(
        emergency_closures=[
            {"key": "storm", "active": False, "message": "storm message"},
            {"key": "outage", "active": True, "message": "outage message"},
            {"key": "fire", "active": True, "message": "fire message"},
        ]
    )
    assert active.emergency is not None
    assert (active.emergency.key, active.emergency.message) == ("outage", "outage message")  # the first active one


def _document(closure_active: bool, **schedule_extra: Any) -> dict[str, Any]:
    return {
        "schema": 1,
        "defaults": {"default_queue": "main", "time_zone": "UTC", "closed_message": "default closed message"},
        "queues": {"main": {"key": "main", "queue_id": "qid-main", "name": "Main"}},
        "lines_of_business": {"lob": {"key": "lob", "name": "LOB", "schedule": "hours"}},
        "entry_points": {
            "main": {"key": "main", "dialed_number": "+18005550100", "line_of_business": "lob", "ruleset": "rs"}
        },
        "schedules": {
            "hours": {
                "key": "hours",
                "time_zone": "America/New_York",
                "weekly": WEEKDAYS,
                "emergency_closures": [{"key": "storm", "active": closure_active, "message": "storm message"}],
                **schedule_extra,
            }
        },
        "rulesets": {"rs": {"key": "rs", "rules": [], "default": {"classification": "c", "queue": "main"}}},
    }


@pytest.mark.parametrize(
    ("active", "when", "status", "message"),
    [
        (True, utc(2026, 11, 24, 15, 0), "EMERGENCY", "storm message"),  # open hours, closure on
        (True, utc(2026, 11, 25, 3, 0), "EMERGENCY", "storm message"),  # closed hours: the emergency still wins
        (False, utc(2026, 11, 24, 15, 0), "ROUTED", ""),
        (False, utc(2026, 11, 25, 3, 0), "CLOSED", "default closed message"),
    ],
)
def test_an_active_closure_answers_emergency_before_the_hours(
    active: bool, when: datetime, status: str, message: str
) -> None:
    cfg = CompiledConfig.compile(_document(active))
    decision = decide(ContactRequest(dialed_number="+18005550100"), cfg, now=when)
    assert (decision.status, decision.message) == (status, message)
    if status == "EMERGENCY":
        assert decision.reason == "emergency:storm"


def test_a_schedule_closed_message_overrides_the_default() -> None:
    cfg = CompiledConfig.compile(_document(False, closed_message="schedule closed message"))
    decision = decide(ContactRequest(dialed_number="+18005550100"), cfg, now=utc(2026, 11, 25, 3, 0))
    assert (decision.status, decision.reason, decision.message) == ("CLOSED", "closed:hours", "schedule closed message")


@pytest.mark.parametrize(
    ("ends_at", "expected"),
    [
        ("", None),  # no end: the closure holds until it is switched off
        (None, None),
        ("2026-12-24T18:00:00Z", datetime(2026, 12, 24, 18, 0, tzinfo=UTC)),
        ("2026-12-24T13:00:00-05:00", datetime(2026, 12, 24, 18, 0, tzinfo=UTC)),
    ],
)
def test_an_emergency_closures_end_is_an_aware_instant_or_none(ends_at: str | None, expected: datetime | None) -> None:
    closure = {"key": "e", "message": "m", "active": True, "ends_at": ends_at}
    schedule = CompiledSchedule.compile("k", {"time_zone": "UTC", "emergency_closures": [closure]})
    assert schedule.emergency is not None
    assert schedule.emergency.ends_at == expected
