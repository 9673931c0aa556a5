"""``DecisionContext``: the facts one contact's rules read, computed lazily (local time, caller country, metrics)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from routing.route.rules import DAY_NAMES, MetricsView

if TYPE_CHECKING:
    from routing.common.contact import ContactRequest
    from routing.route.compiled import EntryPoint


class DecisionContext:
    """``EvalContext`` for one contact: lazily computes local time, caller country and metrics."""

    __slots__ = (
        "_country",
        "_country_done",
        "_local",
        "_metrics",
        "_now",
        "_zone",
        "contact",
        "default_region",
        "entry_point",
        "language",
        "line_of_business",
    )

    def __init__(
        self,
        contact: ContactRequest,
        *,
        entry: EntryPoint | None,
        zone: Any,
        now: datetime,
        metrics: MetricsView,
        default_region: str,
    ) -> None:
        self.contact = contact
        self.entry_point = entry.key if entry else ""
        self.line_of_business = entry.line_of_business if entry else ""
        self.language = (entry.language if entry else "") or contact.language
        self.default_region = default_region
        self._zone = zone
        self._now = now
        self._local: datetime | None = None
        self._metrics = metrics
        self._country: str | None = None
        self._country_done = False

    def local_now(self) -> datetime:
        """Now at the entry point's time zone (computed once)."""
        if self._local is None:
            self._local = self._now.astimezone(self._zone)
        return self._local

    def local_minutes(self) -> float:
        """Minutes since local midnight."""
        local = self.local_now()
        return local.hour * 60 + local.minute + local.second / 60

    def local_day(self) -> str:
        """``mon`` … ``sun``."""
        return DAY_NAMES[self.local_now().weekday()]

    def local_date(self) -> str:
        """ISO date, local."""
        return self.local_now().date().isoformat()

    def caller_country(self) -> str | None:
        """Region of the caller's number (phonenumbers, imported only when a rule asks)."""
        if not self._country_done:
            self._country_done = True
            if not self.contact.caller_is_anonymous:
                import phonenumbers

                try:
                    parsed = phonenumbers.parse(self.contact.customer_number, self.default_region)
                    region = phonenumbers.region_code_for_number(parsed)
                    # Non-geographic numbers (+800 freephone, +881 satellite, …) have no country: unknown, not "001".
                    non_geo = (phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY, phonenumbers.UNKNOWN_REGION)
                    self._country = region if region and region not in non_geo else None
                except phonenumbers.NumberParseException:
                    self._country = None
        return self._country

    def metric(self, queue_id: str, name: str) -> float | None:
        """A live metric for this contact's channel (None when unknown or stale)."""
        return self._metrics.metric(queue_id, name, self.contact.channel)

    def metric_age(self, queue_id: str) -> float | None:
        """Age of the metrics snapshot for ``queue_id``."""
        return self._metrics.age_seconds(queue_id)


_ZONES: dict[str, Any] = {}


def zone(name: str) -> Any:
    """The ``ZoneInfo`` of ``name``, built once per process (zoneinfo is imported on first use)."""
    if name not in _ZONES:
        from zoneinfo import ZoneInfo

        _ZONES[name] = ZoneInfo(name)
    return _ZONES[name]
