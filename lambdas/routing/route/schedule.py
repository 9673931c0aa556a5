"""Opening hours: weekly intervals, dated holidays and emergency closures, evaluated in the schedule's time zone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from routing.route.rules import DAY_NAMES

Interval = tuple[int, int]  # minutes since midnight, [start, end)


def parse_interval(text: str) -> Interval:
    """``"08:00-20:00"`` → ``(480, 1200)``; ``24:00`` closes a day. Raises ``ValueError`` with the reason."""
    try:
        start_s, end_s = text.split("-")
        start = _minutes(start_s)
        end = _minutes(end_s)
    except (ValueError, AttributeError) as exc:
        raise ValueError(f"hours are 'HH:MM-HH:MM', got {text!r}") from exc
    if start >= end:
        raise ValueError(f"interval {text!r} ends before it starts (overnight hours: split at 24:00)")
    return start, end


def _minutes(hhmm: str) -> int:
    hh, mm = hhmm.strip().split(":")
    h, m = int(hh), int(mm)
    if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m):
        raise ValueError(f"bad time {hhmm!r}")
    return h * 60 + m


def _aware(text: object) -> datetime | None:
    """An ISO end time from the normalized document (always with an offset; validated by the schema)."""
    if not isinstance(text, str) or not text:
        return None
    return datetime.fromisoformat(text)  # Python 3.11+ reads a trailing "Z" as UTC


@dataclass(frozen=True, slots=True)
class EmergencyClosure:
    """A switchable closure with the message callers hear, and an optional automatic end."""

    key: str
    message: str
    ends_at: datetime | None = None

    def in_force(self, now: datetime) -> bool:
        """Whether the closure applies at ``now`` (an aware datetime)."""
        return self.ends_at is None or now < self.ends_at


@dataclass(frozen=True, slots=True)
class CompiledSchedule:
    """A schedule ready to answer "open now?" in microseconds."""

    key: str
    zone: ZoneInfo
    weekly: tuple[tuple[Interval, ...], ...]  # index 0 = Monday
    holidays: Mapping[str, tuple[Interval, ...]]  # ISO date → hours that day (empty = closed)
    emergency: EmergencyClosure | None  # the first active closure (in force or not)
    closed_message: str
    closures: tuple[EmergencyClosure, ...] = ()  # every active closure, in order

    def emergency_at(self, now: datetime) -> EmergencyClosure | None:
        """The first active closure still in force at ``now``, or None (a naive ``now`` is taken as UTC)."""
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        for closure in self.closures:
            if closure.in_force(now):
                return closure
        return None

    @classmethod
    def compile(cls, key: str, spec: Mapping[str, Any]) -> CompiledSchedule:
        """Compile the normalized schedule document."""
        weekly_spec: Mapping[str, Sequence[str]] = spec.get("weekly") or {}
        weekly = tuple(tuple(parse_interval(t) for t in weekly_spec.get(day, ())) for day in DAY_NAMES)
        holidays = {
            str(h["date"]): tuple(parse_interval(t) for t in h.get("hours") or ()) for h in spec.get("holidays") or ()
        }
        closures = tuple(
            EmergencyClosure(e["key"], e["message"], _aware(e.get("ends_at")))
            for e in spec.get("emergency_closures") or ()
            if e.get("active")
        )
        return cls(
            key=key,
            zone=ZoneInfo(spec["time_zone"]),
            weekly=weekly,
            holidays=holidays,
            emergency=closures[0] if closures else None,
            closed_message=spec.get("closed_message") or "",
            closures=closures,
        )

    def is_open(self, local: datetime) -> bool:
        """Whether ``local`` (already in this schedule's zone) falls inside opening hours."""
        minute = local.hour * 60 + local.minute
        day_hours = self.holidays.get(local.date().isoformat())
        if day_hours is None:
            day_hours = self.weekly[local.weekday()]
        return any(start <= minute < end for start, end in day_hours)
