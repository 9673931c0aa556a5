"""The config-as-code schema (pydantic). Used at validation/publish time only — never on the per-call path."""

from __future__ import annotations

import itertools
import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from routing.route.reply import RESERVED_KEYS
from routing.route.rules import MAX_RULES_PER_RULESET
from routing.route.schedule import parse_interval

KEY_PATTERN = r"^[a-z0-9][a-z0-9_\-]{0,63}$"
ATTRIBUTE_NAME = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
Key = Annotated[str, Field(pattern=KEY_PATTERN, description="a logical key: lowercase, digits, _ and -")]
Channel = Literal["VOICE", "CHAT", "TASK", "EMAIL"]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# Reply keys the route function owns; config attributes may not shadow them (docs/design/routing-core.md).
RESERVED_REPLY_KEYS = RESERVED_KEYS
MAX_ATTRIBUTE_BYTES = 16_384  # half of Connect's 32 KB reply/attribute budget


class Strict(BaseModel):
    """Unknown fields are errors: a typo must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _check_attributes(value: dict[str, str]) -> dict[str, str]:
    for name in value:
        if not ATTRIBUTE_NAME.match(name):
            raise ValueError(f"attribute name {name!r} must match [A-Za-z0-9_-]{{1,64}}")
        if name in RESERVED_REPLY_KEYS:
            raise ValueError(f"attribute name {name!r} is reserved by the route reply")
    size = sum(len(k.encode()) + len(v.encode()) for k, v in value.items())
    if size > MAX_ATTRIBUTE_BYTES:
        raise ValueError(f"attributes total {size} bytes, above the {MAX_ATTRIBUTE_BYTES}-byte budget")
    return value


def _check_zone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as America/New_York)") from None
    return value


class Language(Strict):
    """What callers of one language hear from the flow: a text-to-speech voice and the fixed prompts."""

    voice: str = Field(pattern=r"^[A-Z][A-Za-z]{1,31}$", description="an Amazon Polly voice, e.g. Joanna, Lupe")
    prompts: dict[str, Annotated[str, Field(min_length=1, max_length=1000)]] = Field(default_factory=dict)

    @field_validator("prompts")
    @classmethod
    def _known(cls, value: dict[str, str]) -> dict[str, str]:
        from routing.route.prompts import PROMPT_KEYS

        unknown = sorted(set(value) - set(PROMPT_KEYS))
        if unknown:
            raise ValueError(f"unknown prompt(s) {unknown} (known: {', '.join(PROMPT_KEYS)})")
        return value


class Defaults(Strict):
    """Deployment-wide defaults: where every failure lands, and what callers hear."""

    default_queue: Key
    time_zone: str = "UTC"
    country: str = Field(default="US", pattern=r"^[A-Z]{2}$")
    _zone = field_validator("time_zone")(_check_zone)
    closed_message: str = Field(
        default="We are closed right now. Please call again during our opening hours.", max_length=2000
    )
    error_message: str = Field(
        default="We are having trouble routing your call. Please hold for the next available agent.",
        max_length=2000,
    )
    # The callback policy of every queue whose own entry and line of business name none (docs/configuration.md).
    callback_policy: Key | None = None
    # Entry point language (en-US, es-US…) → voice and prompts. English prompts are built in; any other language
    # must translate every prompt, or its callers would hear a mix.
    languages: dict[str, Language] = Field(default_factory=dict)

    @field_validator("languages")
    @classmethod
    def _complete(cls, value: dict[str, Language]) -> dict[str, Language]:
        from routing.route.prompts import PROMPT_KEYS

        for code, language in value.items():
            missing = [k for k in PROMPT_KEYS if k not in language.prompts]
            if missing and not code.lower().startswith("en"):
                raise ValueError(f"language {code!r} must translate every prompt; missing: {', '.join(missing)}")
        return value


class LineOfBusiness(Strict):
    """A business unit: its hours, its default queue and its home country."""

    key: Key
    name: str
    schedule: Key | None = None
    default_queue: Key | None = None
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    callback_policy: Key | None = None


class Queue(Strict):
    """A Connect queue, identified region-agnostically by its key and queue id."""

    key: Key
    queue_id: str = Field(pattern=r"^[A-Za-z0-9\-]{1,100}$")
    name: str
    line_of_business: Key | None = None
    hours: Key | None = None
    capacity: int | None = Field(default=None, ge=1)
    sla_seconds: int | None = Field(default=None, ge=1)
    callback_policy: Key | None = None
    # An agent's quick-connect transfer into this queue goes to that queue instead (docs/flows.md, transfer.json).
    transfer_queue: Key | None = None
    attributes: dict[str, str] = Field(default_factory=dict)

    _attrs = field_validator("attributes")(_check_attributes)


class EntryPoint(Strict):
    """Where contacts come in: a dialed number (voice) or an entry key (chat/task/email)."""

    key: Key
    channel: Channel = "VOICE"
    dialed_number: str | None = None
    entry_key: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_\-]{1,64}$")
    line_of_business: Key
    language: str = "en-US"
    ruleset: Key
    schedule: Key | None = None

    @field_validator("dialed_number")
    @classmethod
    def _e164(cls, value: str | None) -> str | None:
        if value is None:
            return value
        import phonenumbers

        try:
            parsed = phonenumbers.parse(value, None)
        except phonenumbers.NumberParseException as exc:
            raise ValueError(f"dialed_number {value!r} is not an E.164 number ({exc})") from None
        normalized = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        if normalized != value or not phonenumbers.is_possible_number(parsed):
            raise ValueError(f"dialed_number {value!r} is not in E.164 form (expected {normalized!r})")
        return value

    @model_validator(mode="after")
    def _one_address(self) -> EntryPoint:
        if not self.dialed_number and not self.entry_key:
            raise ValueError("an entry point needs a dialed_number (voice) or an entry_key (chat/task/email)")
        if self.channel != "VOICE" and self.dialed_number:
            raise ValueError(f"a {self.channel} entry point is reached by entry_key, not dialed_number")
        return self


class Holiday(Strict):
    """A dated exception: closed all day, or open only the given hours."""

    date: date
    name: str
    hours: list[str] = Field(default_factory=list)

    @field_validator("hours")
    @classmethod
    def _intervals(cls, value: list[str]) -> list[str]:
        for text in value:
            parse_interval(text)
        return value


class EmergencyClosure(Strict):
    """A closure operations switch on (active: true) with the message callers hear."""

    key: Key
    active: bool = False
    message: str = Field(min_length=1, max_length=2000)
    # Optional automatic end (with its offset): from then on the closure no longer applies, even while active.
    ends_at: AwareDatetime | None = None


class Schedule(Strict):
    """Weekly hours in a time zone, with holidays and emergency closures."""

    key: Key
    time_zone: str
    weekly: dict[Day, list[str]] = Field(default_factory=dict)
    holidays: list[Holiday] = Field(default_factory=list)
    emergency_closures: list[EmergencyClosure] = Field(default_factory=list)
    closed_message: str | None = Field(default=None, max_length=2000)

    _zone = field_validator("time_zone")(_check_zone)

    @field_validator("weekly")
    @classmethod
    def _weekly(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for intervals in value.values():
            spans = sorted(parse_interval(t) for t in intervals)
            for (_, end), (start, _) in itertools.pairwise(spans):
                if start < end:
                    raise ValueError(f"overlapping hours in {intervals}")
        return value

    @model_validator(mode="after")
    def _unique(self) -> Schedule:
        dates = [h.date for h in self.holidays]
        if len(dates) != len(set(dates)):
            raise ValueError("a date appears twice in holidays")
        keys = [e.key for e in self.emergency_closures]
        if len(keys) != len(set(keys)):
            raise ValueError("emergency closure keys must be unique")
        return self


FallbackWhen = Literal["closed", "unstaffed", "no_agents_available", "over_capacity", "wait_above", "oldest_above"]


class Fallback(Strict):
    """An overflow target, taken when ``when`` holds on the primary target queue."""

    queue: Key
    when: FallbackWhen
    seconds: int | None = Field(default=None, ge=0)
    when_unknown: bool = False

    @model_validator(mode="after")
    def _seconds(self) -> Fallback:
        needs = self.when in ("wait_above", "oldest_above")
        if needs and self.seconds is None:
            raise ValueError(f"fallback when={self.when} needs seconds")
        if not needs and self.seconds is not None:
            raise ValueError(f"fallback when={self.when} takes no seconds")
        return self


class RoutingStep(Strict):
    """One step of Connect routing criteria (proficiency expression), passed through to the flow."""

    expression: dict[str, Any]
    expiry_seconds: int | None = Field(default=None, ge=1)


class Target(Strict):
    """What a rule sets: classification, queue, priority, routing criteria, attributes, fallbacks."""

    classification: str = Field(min_length=1, max_length=64)
    queue: Key
    # 1 (highest) .. 10: the flow sets QueuePriority with one static block per value (docs/flows.md).
    priority: int = Field(default=5, ge=1, le=10)
    routing_criteria: list[RoutingStep] | None = None
    attributes: dict[str, str] = Field(default_factory=dict)
    fallbacks: list[Fallback] = Field(default_factory=list)

    _attrs = field_validator("attributes")(_check_attributes)


class Rule(Strict):
    """``when`` the condition holds (see docs/configuration.md), ``then`` route to the target."""

    id: str = Field(pattern=r"^[A-Za-z0-9_\-.:]{1,96}$")
    description: str = ""
    when: dict[str, Any] | None = None
    then: Target


class Ruleset(Strict):
    """Ordered first-match rules ending in a default."""

    key: Key
    rules: list[Rule] = Field(default_factory=list)
    default: Target

    @model_validator(mode="before")
    @classmethod
    def _rule_cap(cls, data: Any) -> Any:
        # Before the rules are validated one by one: an oversized ruleset is refused without paying for it.
        rules = data.get("rules") if isinstance(data, dict) else None
        if isinstance(rules, list) and len(rules) > MAX_RULES_PER_RULESET:
            raise ValueError(
                f"ruleset {data.get('key')!r} has {len(rules)} rules, above the cap of {MAX_RULES_PER_RULESET} "
                "per ruleset (split it by line of business or entry point)"
            )
        return data

    @model_validator(mode="after")
    def _unique_ids(self) -> Ruleset:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"rule id {rule.id!r} appears twice")
            seen.add(rule.id)
        return self


class CallbackProfile(Strict):
    """Static CreateCallbackContact timings: one flow branch per profile."""

    key: Key
    initial_delay_seconds: int = Field(ge=1, le=259_200)
    max_attempts: int = Field(ge=1, le=10)
    retry_delay_seconds: int = Field(ge=1, le=259_200)


class CallbackPolicy(Strict):
    """When to offer a queued callback and which numbers to accept (behaviour: the callback issue)."""

    key: Key
    enabled: bool = True
    offer: Literal["wait_above", "queue_above", "always", "never"] = "wait_above"
    wait_seconds: int | None = Field(default=None, ge=0)
    contacts_in_queue: int | None = Field(default=None, ge=0)
    when_unknown: bool = False
    schedule: Key | None = None
    # CreateCallbackContact and the callback number are voice-only: a chat or task can never be called back.
    channels: list[Literal["VOICE"]] = Field(default_factory=lambda: list[Literal["VOICE"]](["VOICE"]))
    max_open_callbacks: int = Field(default=500, ge=1)
    profile: Key
    allowed_countries: list[Annotated[str, Field(pattern=r"^[A-Z]{2}$")]] = Field(default_factory=lambda: ["US"])
    blocked_prefixes: list[Annotated[str, Field(pattern=r"^\+\d{1,15}$")]] = Field(default_factory=list)
    dedup_window_seconds: int = Field(default=14_400, ge=60, le=604_800)

    @model_validator(mode="after")
    def _thresholds(self) -> CallbackPolicy:
        if self.offer == "wait_above" and self.wait_seconds is None:
            raise ValueError("offer: wait_above needs wait_seconds")
        if self.offer == "queue_above" and self.contacts_in_queue is None:
            raise ValueError("offer: queue_above needs contacts_in_queue")
        return self


SECTION_MODELS: dict[str, type[Strict]] = {
    "lines_of_business": LineOfBusiness,
    "queues": Queue,
    "entry_points": EntryPoint,
    "schedules": Schedule,
    "rulesets": Ruleset,
    "callback_policies": CallbackPolicy,
    "callback_profiles": CallbackProfile,
}
