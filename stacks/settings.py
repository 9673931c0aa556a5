"""Typed deployment settings from ``cdk.json`` context: one environment, its active and DR regions.

``context.environments.<name>`` is validated by pydantic models into a frozen ``EnvironmentSettings``. Every problem
is reported at once as a ``SettingsError``, one line each naming the key and the reason
(``environments.prod.log_retention_days must be one of [...], got 31``), and a key nobody reads is an error too, so
a typo never silently falls back to a default. Numbers, booleans and strings are strict: ``true`` is not 1, and
``"false"`` is not a boolean.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from aws_cdk import RemovalPolicy
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    Strict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from stacks.admin_settings import AdminSettings
from stacks.settings_base import SettingsError as SettingsError  # noqa: PLC0414 — re-exported: callers catch it here
from stacks.settings_base import StrictBool, StrictText, _bounded, _matching, _one_of, _rule, _Settings

INSTANCE_ARN = re.compile(
    r"^arn:aws(?:-[a-z]+)*:connect:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):instance/(?P<id>[0-9a-f-]{36})$"
)
REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d$")
ACCOUNT = re.compile(r"^\d{12}$")
# What CloudWatch Logs accepts as a retention period (days).
LOG_RETENTION_DAYS = (
    *(1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731),
    *(1096, 1827, 2192, 2557, 2922, 3288, 3653),
)
# A flow's InvokeLambdaFunction waits at most 8 s (InvocationTimeLimitSeconds 1..8); 3 s is the console default.
MAX_FLOW_INVOKE_SECONDS = 8
# How the DR region's Connect instance gets its flows (docs/deployment.md, "DR models"):
#  replica     - a Connect Global Resiliency replica (ReplicateInstance, same instance id): Connect copies flows
#                and test cases from the primary; deploying them there too would fork them.
#  independent - a separate instance: the DR stack deploys its own flows (and test cases).
DR_MODELS = ("replica", "independent")
WARM_START_MODES = ("snapstart", "provisioned", "none")
CALL_PATH_FUNCTIONS = ("route", "callback")  # the functions a caller waits on in silence
HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_DAY = "(MON|TUE|WED|THU|FRI|SAT|SUN)"
WEEK_DAYS = re.compile(rf"^{_DAY}(-{_DAY})?(,{_DAY})*$")


class RegionSettings(_Settings):
    """One region of an environment: its role and (optionally) its Connect instance."""

    _derived: ClassVar[frozenset[str]] = frozenset({"role"})

    region: Annotated[StrictText, _matching(REGION, "a region name such as us-east-1")]
    role: Literal["active", "dr"]  # the key it is given under (``active`` / ``dr``), not a cdk.json key
    # null reads as absent (no instance), as before the pydantic models.
    connect_instance_arn: Annotated[StrictText, BeforeValidator(lambda v: "" if v is None else v)] = ""

    @field_validator("connect_instance_arn")
    @classmethod
    def _instance_arn(cls, arn: str, info: ValidationInfo) -> str:
        if not arn:
            return arn
        match = INSTANCE_ARN.match(arn)
        if match is None:
            raise ValueError(f"is not a Connect instance ARN: {arn!r}")
        region = info.data.get("region")
        if region is not None and match["region"] != region:
            raise ValueError(f"is in region {match['region']!r}, not in {region!r}")
        return arn

    @property
    def has_connect(self) -> bool:
        """Whether Connect resources (permissions, associations, flows) are deployed in this region."""
        return bool(self.connect_instance_arn)

    @property
    def instance_id(self) -> str:
        """The instance id (UUID) at the end of the instance ARN: the ``InstanceId`` dimension of ``AWS/Connect``."""
        return self.connect_instance_arn.rsplit("/", 1)[-1] if self.has_connect else ""

    @property
    def instance_account(self) -> str:
        """The account id inside the instance ARN (the ``source_account`` of Connect's invoke permission)."""
        return self.connect_instance_arn.split(":")[4] if self.has_connect else ""


class PipelineSettings(_Settings):
    """Where the pipeline pulls the repository from, and whether production waits for a person."""

    repository: Annotated[StrictText, _rule(lambda v: "/" in v, "must be owner/name")]
    branch: Annotated[StrictText, _rule(bool, "is required")]
    # A CodeStar/CodeConnections connection to the Git host.
    connection_arn: Annotated[
        StrictText, _rule(lambda v: v.startswith("arn:aws:code"), "must be a CodeConnections/CodeStar connection ARN")
    ]
    manual_approval: StrictBool = False


class BusinessHours(_Settings):
    """When provisioned concurrency scales up (``count``) and back down (``off_hours_count``), in a time zone."""

    time_zone: Annotated[StrictText, _rule(lambda v: "/" in v, "must be an IANA zone such as America/New_York")]
    start: Annotated[StrictText, _matching(HHMM, "HH:MM (00:00..23:59)")]
    end: Annotated[StrictText, _matching(HHMM, "HH:MM (00:00..23:59)")]
    days: Annotated[StrictText, _matching(WEEK_DAYS, "a cron day list such as MON-FRI or MON,WED,FRI")] = "MON-FRI"
    off_hours_count: Annotated[int, Strict(), _bounded(1, 3000)] = 1

    @model_validator(mode="after")
    def _start_before_end(self) -> BusinessHours:
        if self.start >= self.end:
            raise ValueError(f"start {self.start} must be before end {self.end}")
        return self


class WarmStart(_Settings):
    """How a call-path function avoids cold starts reaching a caller (docs/deployment.md, "Cold starts").

    ``snapstart``: Lambda SnapStart on the published version behind ``live`` (init runs at publish time, each new
    environment restores the snapshot). ``provisioned``: ``count`` environments kept initialized on ``live``,
    optionally only in ``business_hours`` (Application Auto Scaling scheduled actions). ``none``: on-demand.
    SnapStart and provisioned concurrency cannot be combined (Lambda refuses it), hence one mode. In cdk.json a
    mode name alone stands for ``{"mode": name}``.
    """

    mode: Annotated[str, _one_of(WARM_START_MODES)] = "snapstart"
    count: Annotated[int, Strict()] = Field(default=0, validate_default=True)
    business_hours: BusinessHours | None = None

    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"mode": data}
        provisioned_only = isinstance(data, Mapping) and ("count" in data or "business_hours" in data)
        if provisioned_only and data.get("mode", "snapstart") != "provisioned":
            raise ValueError("count and business_hours apply to mode 'provisioned' only")
        return data

    @field_validator("count")
    @classmethod
    def _count(cls, count: int, info: ValidationInfo) -> int:
        if info.data.get("mode") == "provisioned" and not 1 <= count <= 3000:
            raise ValueError(f"must be 1..3000, got {count}")
        return count

    @model_validator(mode="after")
    def _off_hours_within_count(self) -> WarmStart:
        hours = self.business_hours
        if hours is not None and hours.off_hours_count > self.count:
            raise ValueError(f"business_hours.off_hours_count must not exceed count ({self.count})")
        return self


def _warm_starts(value: Any) -> Any:
    """``warm_start``: each call-path function's mode, snapstart unless cdk.json says otherwise."""
    if not isinstance(value, Mapping):
        raise ValueError(f"must be a mapping of {list(CALL_PATH_FUNCTIONS)} to a warm-start mode")
    unknown = sorted(set(value) - set(CALL_PATH_FUNCTIONS))
    if unknown:
        raise ValueError(f"unknown key(s) {unknown}; known: {sorted(CALL_PATH_FUNCTIONS)}")
    return {name: value.get(name, "snapstart") for name in CALL_PATH_FUNCTIONS}


def _emails(value: Any) -> Any:
    if not isinstance(value, list | tuple) or not all(isinstance(e, str) and "@" in e for e in value):
        raise ValueError(f"must be a list of e-mail addresses, got {value!r}")
    return tuple(value)


def _account(value: Any) -> Any:
    if value is not None and (not isinstance(value, str) or not ACCOUNT.match(value)):
        raise ValueError(f"must be a 12-digit account id as a string, got {value!r}")
    return value


def _queue_id(value: str) -> str:
    if not value.strip() or "/" in value:
        raise ValueError("is required: the id (not the ARN) of the queue every failure lands in")
    return value.strip()


class EnvironmentSettings(_Settings):
    """Everything the stacks need for one environment (dev, prod…)."""

    _derived: ClassVar[frozenset[str]] = frozenset({"name"})

    name: str
    active: RegionSettings
    dr: RegionSettings | None = None
    account: Annotated[str | None, BeforeValidator(_account)] = None
    default_queue_id: Annotated[StrictText, AfterValidator(_queue_id)] = Field(default="", validate_default=True)
    production: StrictBool = False
    log_retention_days: Annotated[int, Strict(), _one_of(LOG_RETENTION_DAYS)] = 30
    alarm_emails: Annotated[tuple[str, ...], BeforeValidator(_emails)] = ()
    config_refresh_seconds: Annotated[int, Strict(), _bounded(1, 3600)] = 30
    route_timeout_seconds: Annotated[int, Strict(), _bounded(1, MAX_FLOW_INVOKE_SECONDS)] = 3
    route_memory_mb: Annotated[int, Strict(), _bounded(128, 10240)] = 1024
    # The route function's per-call budget for all store I/O (routing.common.deadline); bounded by the timeout below.
    store_budget_ms: Annotated[int, Strict()] = Field(default=1000, validate_default=True)
    config_retention_days: Annotated[int, Strict(), _bounded(1, 3650)] = 90
    gradual_deploy: StrictBool = True
    pipeline: PipelineSettings | None = None
    dr_model: Annotated[str, _one_of(DR_MODELS)] = "replica"
    connect_test_cases: StrictBool = False
    # Per call-path function (route, callback); snapstart unless cdk.json says otherwise.
    warm_start: Annotated[dict[str, WarmStart], BeforeValidator(_warm_starts)] = Field(
        default_factory=dict, validate_default=True
    )
    admin: AdminSettings | None = None  # the admin API and portal (issue 13); None: not deployed

    @field_validator("store_budget_ms")
    @classmethod
    def _store_budget(cls, budget: int, info: ValidationInfo) -> int:
        """The store budget must leave the decision room inside the function's timeout (a cold start also imports,
        compiles the baked version and replies): at most the timeout minus one second."""
        high = max(100, info.data.get("route_timeout_seconds", 3) * 1000 - 1000)
        if not 100 <= budget <= high:
            raise ValueError(f"must be 100..{high}, got {budget}")
        return budget

    @model_validator(mode="after")
    def _production_admin_signs_on_with_the_corporation(self) -> EnvironmentSettings:
        admin = self.admin
        if self.production and admin is not None and (admin.identity_provider is None or not admin.portal_domain_name):
            raise ValueError("admin: production needs identity_provider and portal_domain_name/certificate_arn")
        return self

    @model_validator(mode="after")
    def _regions_agree(self) -> EnvironmentSettings:
        active, dr = self.active, self.dr
        if dr is not None and dr.region == active.region:
            raise ValueError("the DR region must differ from the active region")
        if dr is not None and dr.has_connect and active.has_connect:
            same = dr.instance_id == active.instance_id
            if self.dr_model == "replica" and not same:
                raise ValueError(
                    "dr_model is 'replica' but the DR instance id differs from the active one: a Global "
                    "Resiliency replica keeps the primary's instance id (use 'independent' for a separate instance)"
                )
            if self.dr_model == "independent" and same:
                raise ValueError(
                    "dr_model is 'independent' but both regions name the same instance id: that is a "
                    "Global Resiliency replica (use 'replica')"
                )
        return self

    def deploys_flows(self, region: RegionSettings) -> bool:
        """Whether this region's stack deploys the contact flows (and Connect test cases).

        The active region does when it has an instance; the DR region only with ``dr_model: independent``: a
        Global Resiliency replica receives the primary's flows from Connect.
        """
        if not region.has_connect:
            return False
        return region.role == "active" or self.dr_model == "independent"

    @property
    def regions(self) -> tuple[RegionSettings, ...]:
        """Active first, then DR."""
        return (self.active,) if self.dr is None else (self.active, self.dr)

    @property
    def removal_policy(self) -> RemovalPolicy:
        """Production keeps its data and logs when a stack or resource goes away; other environments clean up."""
        return RemovalPolicy.RETAIN if self.production else RemovalPolicy.DESTROY

    @classmethod
    def from_context(cls, environments: Mapping[str, Any], name: str) -> EnvironmentSettings:
        """Validate ``context.environments[name]``; every problem at once in one ``SettingsError``."""
        if not isinstance(environments, Mapping) or name not in environments:
            known = sorted(environments) if isinstance(environments, Mapping) else []
            raise SettingsError(f"unknown environment {name!r}; cdk.json defines {known}")
        raw = environments[name]
        where = f"environments.{name}"
        if not isinstance(raw, Mapping):
            raise SettingsError(f"{where} must be a mapping")
        if "name" in raw:
            raise SettingsError(f"{where}: unknown key(s) ['name']; the environment's name is its key")
        data: dict[str, Any] = {**raw, "name": name}
        for role in ("active", "dr"):
            if isinstance(raw.get(role), Mapping):
                if "role" in raw[role]:
                    raise SettingsError(f"{where}.{role}: unknown key(s) ['role']; the role is the key ({role})")
                data[role] = {**raw[role], "role": role}
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            raise SettingsError("\n".join(_describe(where, e) for e in error.errors())) from None


# pydantic's own reasons, said the way the validators above say theirs ("must …", "is …").
_REASONS = {
    "missing": "is required",
    "bool_type": "must be true or false",
    "int_type": "must be an integer",
    "string_type": "must be a string",
    "model_type": "must be a mapping",
    "dict_type": "must be a mapping",
}


def _describe(where: str, error: ErrorDetails) -> str:
    """One line: the key's path under ``where`` and the reason (``environments.dev.production must be …``)."""
    path = ".".join([where, *(str(part) for part in error["loc"])])
    reason = error["msg"].removeprefix("Value error, ")
    if error["type"] in _REASONS:
        reason = _REASONS[error["type"]]
        if error["type"] != "missing":
            reason += f", got {error['input']!r}"
    # A reason phrased as a predicate reads after the key; any other (a rule across keys) after a colon.
    return f"{path} {reason}" if reason.startswith(("must ", "is ")) else f"{path}: {reason}"
