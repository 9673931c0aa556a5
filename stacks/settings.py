"""Typed deployment settings from ``cdk.json`` context: one environment, its active and DR regions.

``context.environments.<name>`` is parsed into a frozen ``EnvironmentSettings``; every problem raises
``SettingsError`` naming the key (``environments.prod.log_retention_days: …``), and a key nobody reads is an
error too, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aws_cdk import RemovalPolicy

INSTANCE_ARN = re.compile(
    r"^arn:aws(?:-[a-z]+)*:connect:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):instance/(?P<id>[0-9a-f-]{36})$"
)
REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d$")
ACCOUNT = re.compile(r"^\d{12}$")
# What CloudWatch Logs accepts as a retention period (days).
LOG_RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
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
WEEK_DAYS = re.compile(
    r"^(MON|TUE|WED|THU|FRI|SAT|SUN)(-(MON|TUE|WED|THU|FRI|SAT|SUN))?(,(MON|TUE|WED|THU|FRI|SAT|SUN))*$"
)


class SettingsError(ValueError):
    """cdk.json context is missing or malformed; the message says which key."""


@dataclass(frozen=True, slots=True)
class RegionSettings:
    """One region of an environment: its role and (optionally) its Connect instance."""

    region: str
    role: str  # active | dr
    connect_instance_arn: str = ""

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


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    """Where the pipeline pulls the repository from, and whether production waits for a person."""

    repository: str  # owner/name
    branch: str
    connection_arn: str  # a CodeStar/CodeConnections connection to the Git host
    manual_approval: bool = False

    @classmethod
    def from_context(cls, raw: Any, where: str) -> PipelineSettings | None:
        """Parse ``environments.<name>.pipeline`` (absent: no pipeline for this environment)."""
        if raw is None:
            return None
        if not isinstance(raw, Mapping):
            raise SettingsError(f"{where} must be a mapping")
        _reject_unknown(raw, {"repository", "branch", "connection_arn", "manual_approval"}, where)
        for key in ("repository", "branch", "connection_arn"):
            if not isinstance(raw.get(key), str) or not raw[key]:
                raise SettingsError(f"{where}.{key} is required")
        if "/" not in raw["repository"]:
            raise SettingsError(f"{where}.repository must be owner/name")
        if not raw["connection_arn"].startswith("arn:aws:code"):
            raise SettingsError(f"{where}.connection_arn must be a CodeConnections/CodeStar connection ARN")
        return cls(raw["repository"], raw["branch"], raw["connection_arn"], _bool(raw, "manual_approval", where, False))


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """When provisioned concurrency scales up (``count``) and back down (``off_hours_count``), in a time zone."""

    time_zone: str
    start: str  # HH:MM
    end: str  # HH:MM
    days: str = "MON-FRI"
    off_hours_count: int = 1

    @classmethod
    def from_context(cls, raw: Any, where: str) -> BusinessHours:
        """Parse ``warm_start.<function>.business_hours``."""
        if not isinstance(raw, Mapping):
            raise SettingsError(f"{where} must be a mapping with time_zone, start, end (and days, off_hours_count)")
        _reject_unknown(raw, {"time_zone", "start", "end", "days", "off_hours_count"}, where)
        zone = raw.get("time_zone")
        if not isinstance(zone, str) or "/" not in zone:
            raise SettingsError(f"{where}.time_zone must be an IANA zone such as America/New_York, got {zone!r}")
        times = []
        for key in ("start", "end"):
            value = raw.get(key)
            if not isinstance(value, str) or not HHMM.match(value):
                raise SettingsError(f"{where}.{key} must be HH:MM (00:00..23:59), got {value!r}")
            times.append(value)
        if times[0] >= times[1]:
            raise SettingsError(f"{where}: start {times[0]} must be before end {times[1]}")
        days = raw.get("days", "MON-FRI")
        if not isinstance(days, str) or not WEEK_DAYS.match(days):
            raise SettingsError(f"{where}.days must be a cron day list such as MON-FRI or MON,WED,FRI, got {days!r}")
        off = _int(raw, "off_hours_count", where, 1, low=1, high=3000)
        return cls(time_zone=zone, start=times[0], end=times[1], days=days, off_hours_count=off)


@dataclass(frozen=True, slots=True)
class WarmStart:
    """How a call-path function avoids cold starts reaching a caller (docs/deployment.md, "Cold starts").

    ``snapstart``: Lambda SnapStart on the published version behind ``live`` (init runs at publish time, each new
    environment restores the snapshot). ``provisioned``: ``count`` environments kept initialized on ``live``,
    optionally only in ``business_hours`` (Application Auto Scaling scheduled actions). ``none``: on-demand.
    SnapStart and provisioned concurrency cannot be combined (Lambda refuses it), hence one mode.
    """

    mode: str = "snapstart"
    count: int = 0
    business_hours: BusinessHours | None = None

    @classmethod
    def from_context(cls, raw: Any, where: str) -> WarmStart:
        """Parse ``warm_start.<function>``: a mode name, or a mapping with mode, count, business_hours."""
        if isinstance(raw, str):
            raw = {"mode": raw}
        if not isinstance(raw, Mapping):
            raise SettingsError(f"{where} must be one of {list(WARM_START_MODES)} or a mapping with 'mode'")
        _reject_unknown(raw, {"mode", "count", "business_hours"}, where)
        mode = raw.get("mode")
        if mode not in WARM_START_MODES:
            raise SettingsError(f"{where}.mode must be one of {list(WARM_START_MODES)}, got {mode!r}")
        if mode != "provisioned":
            if "count" in raw or "business_hours" in raw:
                raise SettingsError(f"{where}: count and business_hours apply to mode 'provisioned' only")
            return cls(mode=mode)
        count = _int(raw, "count", where, 0, low=1, high=3000)
        hours = raw.get("business_hours")
        business_hours = None if hours is None else BusinessHours.from_context(hours, f"{where}.business_hours")
        if business_hours is not None and business_hours.off_hours_count > count:
            raise SettingsError(f"{where}.business_hours.off_hours_count must not exceed count ({count})")
        return cls(mode=mode, count=count, business_hours=business_hours)


def _warm_start(raw: Mapping[str, Any], where: str) -> dict[str, WarmStart]:
    spec = raw.get("warm_start", {})
    here = f"{where}.warm_start"
    if not isinstance(spec, Mapping):
        raise SettingsError(f"{here} must be a mapping of {list(CALL_PATH_FUNCTIONS)} to a warm-start mode")
    _reject_unknown(spec, set(CALL_PATH_FUNCTIONS), here)
    return {name: WarmStart.from_context(spec.get(name, "snapstart"), f"{here}.{name}") for name in CALL_PATH_FUNCTIONS}


# --- admin API and portal (issue 13; docs/deployment.md "Admin API and portal") -----------------------------------
ADMIN_IDP_TYPES = ("SAML", "OIDC")
COGNITO_DOMAIN_PREFIX = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
ACM_CERTIFICATE_ARN = re.compile(r"^arn:aws(?:-[a-z]+)*:acm:us-east-1:\d{12}:certificate/[0-9a-f-]{36}$")
HOST_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


@dataclass(frozen=True, slots=True)
class AdminIdentityProvider:
    """The corporate identity provider the user pool federates with. No secret value here: only the name of the
    Secrets Manager secret holding the OIDC client secret (resolved by CloudFormation at deploy)."""

    type: str  # SAML | OIDC
    name: str  # the provider's name in Cognito (shown on the hosted UI)
    metadata_url: str = ""  # SAML
    issuer: str = ""  # OIDC
    client_id: str = ""  # OIDC
    client_secret_name: str = ""  # OIDC
    email_attribute: str = "email"
    groups_attribute: str = "groups"
    # IdP group name -> trunkline group (trunkline-viewer, trunkline-lob-cards, ...); unmapped names pass through.
    group_map: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AdminSettings:
    """The admin API, its Cognito user pool and the portal (deployed in the active region only)."""

    domain_prefix: str  # Cognito hosted UI: https://<prefix>.auth.<region>.amazoncognito.com
    identity_provider: AdminIdentityProvider | None = None  # None: Cognito users only (non-production)
    portal_domain_name: str = ""  # with certificate_arn: TLS 1.2+ on a custom name instead of *.cloudfront.net
    certificate_arn: str = ""
    four_eyes: bool = False
    throttle_rate: int = 20  # requests per second, every method (simulate and validate: a quarter)
    throttle_burst: int = 40

    @classmethod
    def from_context(cls, raw: Any, where: str, *, production: bool) -> AdminSettings | None:
        """Parse ``environments.<name>.admin`` (absent: no admin API or portal in this environment)."""
        if raw is None:
            return None
        if not isinstance(raw, Mapping):
            raise SettingsError(f"{where} must be a mapping")
        known = {"domain_prefix", "identity_provider", "portal_domain_name", "certificate_arn", "four_eyes"}
        _reject_unknown(raw, known | {"throttle_rate", "throttle_burst"}, where)
        prefix = raw.get("domain_prefix")
        if not isinstance(prefix, str) or not COGNITO_DOMAIN_PREFIX.match(prefix) or "aws" in prefix:
            raise SettingsError(f"{where}.domain_prefix must be lower-case letters, digits, '-' (no 'aws')")
        domain, cert = raw.get("portal_domain_name", ""), raw.get("certificate_arn", "")
        if bool(domain) != bool(cert):
            raise SettingsError(f"{where}: portal_domain_name and certificate_arn go together")
        if domain and (not isinstance(domain, str) or not HOST_NAME.match(domain)):
            raise SettingsError(f"{where}.portal_domain_name must be a host name, got {domain!r}")
        if cert and (not isinstance(cert, str) or not ACM_CERTIFICATE_ARN.match(cert)):
            raise SettingsError(f"{where}.certificate_arn must be an ACM certificate ARN in us-east-1 (CloudFront)")
        idp = _admin_idp(raw.get("identity_provider"), f"{where}.identity_provider")
        if production and (idp is None or not domain):
            raise SettingsError(f"{where}: production needs identity_provider and portal_domain_name/certificate_arn")
        rate = _int(raw, "throttle_rate", where, 20, low=1, high=1000)
        return cls(
            domain_prefix=prefix,
            identity_provider=idp,
            portal_domain_name=domain,
            certificate_arn=cert,
            four_eyes=_bool(raw, "four_eyes", where, False),
            throttle_rate=rate,
            throttle_burst=_int(raw, "throttle_burst", where, 2 * rate, low=1, high=5000),
        )


def _admin_idp(raw: Any, where: str) -> AdminIdentityProvider | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise SettingsError(f"{where} must be a mapping with type (SAML or OIDC) and name")
    common = {"type", "name", "email_attribute", "groups_attribute", "group_map"}
    kind = raw.get("type")
    if kind not in ADMIN_IDP_TYPES:
        raise SettingsError(f"{where}.type must be one of {list(ADMIN_IDP_TYPES)}, got {kind!r}")
    needed = ("metadata_url",) if kind == "SAML" else ("issuer", "client_id", "client_secret_name")
    _reject_unknown(raw, common | set(needed), where)
    for key in ("name", *needed):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise SettingsError(f"{where}.{key} is required for {kind}")
    if not re.fullmatch(r"[\w .:-]{3,32}", raw["name"]):
        raise SettingsError(f"{where}.name must be 3-32 letters, digits, spaces or . _ : -")
    for key in ("metadata_url", "issuer"):
        if key in needed and not raw[key].startswith("https://"):
            raise SettingsError(f"{where}.{key} must be an https:// URL")
    if kind == "OIDC" and not re.fullmatch(r"[\w/+=.@-]{1,512}", raw["client_secret_name"]):
        raise SettingsError(f"{where}.client_secret_name is the Secrets Manager secret's name, never its value")
    group_map = raw.get("group_map", {})
    if not isinstance(group_map, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and v.startswith("trunkline-") for k, v in group_map.items()
    ):
        raise SettingsError(f"{where}.group_map must map IdP group names to trunkline-* group names")
    return AdminIdentityProvider(
        type=kind,
        name=raw["name"],
        **{key: raw[key] for key in needed},
        email_attribute=str(raw.get("email_attribute", "email")),
        groups_attribute=str(raw.get("groups_attribute", "groups")),
        group_map=dict(group_map),
    )


# --- end of the admin block -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EnvironmentSettings:
    """Everything the stacks need for one environment (dev, prod…)."""

    name: str
    active: RegionSettings
    default_queue_id: str
    account: str | None = None
    dr: RegionSettings | None = None
    production: bool = False
    log_retention_days: int = 30
    alarm_emails: tuple[str, ...] = ()
    config_refresh_seconds: int = 30
    route_timeout_seconds: int = 3
    route_memory_mb: int = 1024
    store_budget_ms: int = 1000  # the route function's per-call budget for all store I/O (routing.common.deadline)
    config_retention_days: int = 90
    gradual_deploy: bool = True
    pipeline: PipelineSettings | None = None
    dr_model: str = "replica"
    connect_test_cases: bool = False
    # Per call-path function (route, callback); snapstart unless cdk.json says otherwise.
    warm_start: Mapping[str, WarmStart] = field(
        default_factory=lambda: {name: WarmStart() for name in CALL_PATH_FUNCTIONS}
    )
    admin: AdminSettings | None = None  # the admin API and portal (issue 13); None: not deployed

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

    @property
    def deletion_protection(self) -> bool:
        """Tables refuse DeleteTable in production."""
        return self.production

    @classmethod
    def from_context(cls, environments: Mapping[str, Any], name: str) -> EnvironmentSettings:
        """Parse ``context.environments[name]``; every problem raises ``SettingsError`` naming the key."""
        if not isinstance(environments, Mapping) or name not in environments:
            known = sorted(environments) if isinstance(environments, Mapping) else []
            raise SettingsError(f"unknown environment {name!r}; cdk.json defines {known}")
        raw = environments[name]
        where = f"environments.{name}"
        if not isinstance(raw, Mapping):
            raise SettingsError(f"{where} must be a mapping")
        _reject_unknown(raw, _KNOWN, where)

        active = _region(raw, "active", where)
        if active is None:
            raise SettingsError(f"{where}.active is required")
        dr = _region(raw, "dr", where)
        if dr is not None and dr.region == active.region:
            raise SettingsError(f"{where}: the DR region must differ from the active region")

        account = raw.get("account")
        if account is not None and (not isinstance(account, str) or not ACCOUNT.match(account)):
            raise SettingsError(f"{where}.account must be a 12-digit account id as a string, got {account!r}")

        default_queue_id = raw.get("default_queue_id")
        if not isinstance(default_queue_id, str) or not default_queue_id.strip() or "/" in default_queue_id:
            raise SettingsError(
                f"{where}.default_queue_id is required: the id (not the ARN) of the queue every failure lands in"
            )

        retention = _int(raw, "log_retention_days", where, 30, low=1, high=3653)
        if retention not in LOG_RETENTION_DAYS:
            raise SettingsError(f"{where}.log_retention_days must be one of {sorted(LOG_RETENTION_DAYS)}")

        dr_model = raw.get("dr_model", "replica")
        if dr_model not in DR_MODELS:
            raise SettingsError(f"{where}.dr_model must be one of {list(DR_MODELS)}, got {dr_model!r}")
        if dr is not None and dr.has_connect and active.has_connect:
            same = dr.instance_id == active.instance_id
            if dr_model == "replica" and not same:
                raise SettingsError(
                    f"{where}.dr_model is 'replica' but the DR instance id differs from the active one: a Global "
                    "Resiliency replica keeps the primary's instance id (use 'independent' for a separate instance)"
                )
            if dr_model == "independent" and same:
                raise SettingsError(
                    f"{where}.dr_model is 'independent' but both regions name the same instance id: that is a "
                    "Global Resiliency replica (use 'replica')"
                )

        emails = raw.get("alarm_emails", [])
        if not isinstance(emails, list) or not all(isinstance(e, str) and "@" in e for e in emails):
            raise SettingsError(f"{where}.alarm_emails must be a list of e-mail addresses")

        return cls(
            name=name,
            active=active,
            default_queue_id=default_queue_id.strip(),
            account=account,
            dr=dr,
            production=_bool(raw, "production", where, False),
            log_retention_days=retention,
            alarm_emails=tuple(emails),
            config_refresh_seconds=_int(raw, "config_refresh_seconds", where, 30, low=1, high=3600),
            route_timeout_seconds=_int(raw, "route_timeout_seconds", where, 3, low=1, high=MAX_FLOW_INVOKE_SECONDS),
            route_memory_mb=_int(raw, "route_memory_mb", where, 1024, low=128, high=10240),
            store_budget_ms=_store_budget_ms(raw, where),
            config_retention_days=_int(raw, "config_retention_days", where, 90, low=1, high=3650),
            gradual_deploy=_bool(raw, "gradual_deploy", where, True),
            pipeline=PipelineSettings.from_context(raw.get("pipeline"), f"{where}.pipeline"),
            dr_model=dr_model,
            connect_test_cases=_bool(raw, "connect_test_cases", where, False),
            warm_start=_warm_start(raw, where),
            admin=AdminSettings.from_context(
                raw.get("admin"), f"{where}.admin", production=_bool(raw, "production", where, False)
            ),
        )


_KNOWN = frozenset(
    {
        "account",
        "active",
        "dr",
        "production",
        "log_retention_days",
        "alarm_emails",
        "default_queue_id",
        "config_refresh_seconds",
        "route_timeout_seconds",
        "route_memory_mb",
        "store_budget_ms",
        "config_retention_days",
        "gradual_deploy",
        "pipeline",
        "dr_model",
        "connect_test_cases",
        "warm_start",
        "admin",
    }
)


def _store_budget_ms(raw: Mapping[str, Any], where: str) -> int:
    """The store budget must leave the decision room inside the function's timeout (a cold start also imports,
    compiles the baked version and replies): at most the timeout minus one second."""
    timeout_s = raw.get("route_timeout_seconds", 3)
    high = max(100, int(timeout_s) * 1000 - 1000) if isinstance(timeout_s, int) else 2000
    return _int(raw, "store_budget_ms", where, 1000, low=100, high=high)


def _reject_unknown(raw: Mapping[str, Any], known: frozenset[str] | set[str], where: str) -> None:
    unknown = sorted(set(raw) - known)
    if unknown:
        raise SettingsError(f"{where}: unknown key(s) {unknown}; known: {sorted(known)}")


def _region(raw: Mapping[str, Any], key: str, where: str) -> RegionSettings | None:
    spec = raw.get(key)
    if spec is None:
        return None
    here = f"{where}.{key}"
    if not isinstance(spec, Mapping):
        raise SettingsError(f"{here} must be a mapping with 'region' (and optionally 'connect_instance_arn')")
    _reject_unknown(spec, {"region", "connect_instance_arn"}, here)
    region = spec.get("region")
    if not isinstance(region, str) or not REGION.match(region):
        raise SettingsError(f"{here}.region must be a region name such as us-east-1, got {region!r}")
    arn = spec.get("connect_instance_arn") or ""
    if arn:
        match = INSTANCE_ARN.match(arn) if isinstance(arn, str) else None
        if match is None:
            raise SettingsError(f"{here}.connect_instance_arn is not a Connect instance ARN: {arn!r}")
        if match["region"] != region:
            raise SettingsError(f"{here}: the instance ARN's region differs from {region!r}")
    return RegionSettings(region=region, role=key, connect_instance_arn=arn)


def _int(raw: Mapping[str, Any], key: str, where: str, default: int, *, low: int, high: int) -> int:
    value = raw.get(key, default)
    # bool is an int in Python; `true` for a number is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettingsError(f"{where}.{key} must be an integer, got {value!r}")
    if not low <= value <= high:
        raise SettingsError(f"{where}.{key} must be {low}..{high}, got {value}")
    return value


def _bool(raw: Mapping[str, Any], key: str, where: str, default: bool) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        # "false" as a string would be truthy: refuse it rather than guess.
        raise SettingsError(f"{where}.{key} must be true or false, got {value!r}")
    return value
