"""When to offer a queued callback: per-queue (or line-of-business) policy over the live metrics.

Pure and compiled once per version, like the rules. Unknown metrics follow the policy's ``when_unknown``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from routing.route.schedule import CompiledSchedule


@dataclass(frozen=True, slots=True)
class CallbackPolicy:
    """A compiled ``callback_policies`` entry."""

    key: str
    enabled: bool
    offer: str  # wait_above | queue_above | always | never
    wait_seconds: float | None
    contacts_in_queue: float | None
    when_unknown: bool
    schedule: str | None
    channels: frozenset[str]
    max_open_callbacks: int
    profile: str
    allowed_countries: frozenset[str]
    blocked_prefixes: tuple[str, ...]
    dedup_window_seconds: int

    @classmethod
    def compile(cls, spec: Mapping[str, Any]) -> CallbackPolicy:
        """From the normalized document."""
        return cls(
            key=spec["key"],
            enabled=bool(spec.get("enabled", True)),
            offer=spec.get("offer", "wait_above"),
            wait_seconds=spec.get("wait_seconds"),
            contacts_in_queue=spec.get("contacts_in_queue"),
            when_unknown=bool(spec.get("when_unknown", False)),
            schedule=spec.get("schedule"),
            channels=frozenset(spec.get("channels") or ("VOICE",)),
            max_open_callbacks=int(spec.get("max_open_callbacks", 500)),
            profile=spec["profile"],
            allowed_countries=frozenset(spec.get("allowed_countries") or ("US",)),
            blocked_prefixes=tuple(spec.get("blocked_prefixes") or ()),
            dedup_window_seconds=int(spec.get("dedup_window_seconds", 14_400)),
        )


@dataclass(frozen=True, slots=True)
class CallbackOffer:
    """The offer part of a decision."""

    offer: bool
    reason: str
    profile: str = ""
    wait_seconds: float | None = None


NO_POLICY = CallbackOffer(False, "no_policy")


def evaluate_offer(
    policy: CallbackPolicy | None,
    *,
    channel: str,
    queue_id: str,
    metric: Any,  # Callable[[queue_id, name], float | None]
    schedules: Mapping[str, CompiledSchedule],
    local_now: Any,  # Callable[[zone], datetime]
) -> CallbackOffer:
    """Whether to offer a callback for a contact about to be queued on ``queue_id``."""
    if policy is None:
        return NO_POLICY
    if not policy.enabled or policy.offer == "never":
        return CallbackOffer(False, "disabled", policy.profile)
    if channel not in policy.channels:
        return CallbackOffer(False, f"channel:{channel}", policy.profile)
    if policy.schedule:
        schedule = schedules.get(policy.schedule)
        if schedule is not None and not schedule.is_open(local_now(schedule.zone)):
            return CallbackOffer(False, "outside_callback_hours", policy.profile)
    wait = metric(queue_id, "estimated_wait_time")
    if policy.offer == "always":
        return CallbackOffer(True, "always", policy.profile, wait)
    if policy.offer == "wait_above":
        if wait is None:
            return CallbackOffer(policy.when_unknown, "wait_unknown", policy.profile, None)
        above = wait > (policy.wait_seconds or 0)
        return CallbackOffer(
            above, f"wait_{'above' if above else 'below'}:{int(policy.wait_seconds or 0)}", policy.profile, wait
        )
    in_queue = metric(queue_id, "contacts_in_queue")
    if in_queue is None:
        return CallbackOffer(policy.when_unknown, "queue_unknown", policy.profile, wait)
    above = in_queue > (policy.contacts_in_queue or 0)
    return CallbackOffer(
        above, f"queue_{'above' if above else 'below'}:{int(policy.contacts_in_queue or 0)}", policy.profile, wait
    )
