"""Typed deployment settings from ``cdk.json`` context: one environment, its active and DR regions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

INSTANCE_ARN_PREFIX = "arn:aws:connect:"


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
    def instance_account(self) -> str:
        """The account id inside the instance ARN."""
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
        for key in ("repository", "branch", "connection_arn"):
            if not isinstance(raw.get(key), str) or not raw[key]:
                raise SettingsError(f"{where}.{key} is required")
        if "/" not in raw["repository"]:
            raise SettingsError(f"{where}.repository must be owner/name")
        if not raw["connection_arn"].startswith("arn:aws:code"):
            raise SettingsError(f"{where}.connection_arn must be a CodeConnections/CodeStar connection ARN")
        return cls(raw["repository"], raw["branch"], raw["connection_arn"], bool(raw.get("manual_approval", False)))


@dataclass(frozen=True, slots=True)
class EnvironmentSettings:
    """Everything the stacks need for one environment (dev, prod…)."""

    name: str
    account: str | None
    active: RegionSettings
    dr: RegionSettings | None = None
    production: bool = False
    log_retention_days: int = 30
    alarm_emails: tuple[str, ...] = ()
    default_queue_id: str = ""
    config_refresh_seconds: int = 30
    route_timeout_seconds: int = 3
    route_memory_mb: int = 1024
    config_retention_days: int = 90
    gradual_deploy: bool = True
    pipeline: PipelineSettings | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def regions(self) -> tuple[RegionSettings, ...]:
        """Active first, then DR."""
        return (self.active,) if self.dr is None else (self.active, self.dr)

    @classmethod
    def from_context(cls, environments: Mapping[str, Any], name: str) -> EnvironmentSettings:
        """Parse ``context.environments[name]``; every problem raises ``SettingsError`` naming the key."""
        if name not in environments:
            raise SettingsError(f"unknown environment {name!r}; cdk.json defines {sorted(environments)}")
        raw = environments[name]
        where = f"environments.{name}"

        def region(key: str) -> RegionSettings | None:
            spec = raw.get(key)
            if spec is None:
                return None
            if not isinstance(spec, Mapping) or not isinstance(spec.get("region"), str) or not spec["region"]:
                raise SettingsError(f"{where}.{key}.region must be a region name such as us-east-1")
            arn = spec.get("connect_instance_arn") or ""
            if arn and (not arn.startswith(INSTANCE_ARN_PREFIX) or ":instance/" not in arn):
                raise SettingsError(f"{where}.{key}.connect_instance_arn is not a Connect instance ARN: {arn!r}")
            if arn and arn.split(":")[3] != spec["region"]:
                raise SettingsError(f"{where}.{key}: the instance ARN's region differs from {spec['region']!r}")
            return RegionSettings(region=spec["region"], role=key, connect_instance_arn=arn)

        active = region("active")
        if active is None:
            raise SettingsError(f"{where}.active is required")
        dr = region("dr")
        if dr is not None and dr.region == active.region:
            raise SettingsError(f"{where}: the DR region must differ from the active region")
        route_timeout = int(raw.get("route_timeout_seconds", 3))
        if not 1 <= route_timeout <= 8:
            raise SettingsError(f"{where}.route_timeout_seconds must be 1..8 (a flow's invoke limit is 8 s)")
        emails = raw.get("alarm_emails", [])
        if not isinstance(emails, list) or not all(isinstance(e, str) and "@" in e for e in emails):
            raise SettingsError(f"{where}.alarm_emails must be a list of e-mail addresses")
        return cls(
            name=name,
            account=raw.get("account"),
            active=active,
            dr=dr,
            production=bool(raw.get("production", False)),
            log_retention_days=int(raw.get("log_retention_days", 30)),
            alarm_emails=tuple(emails),
            default_queue_id=str(raw.get("default_queue_id", "")),
            config_refresh_seconds=int(raw.get("config_refresh_seconds", 30)),
            route_timeout_seconds=route_timeout,
            route_memory_mb=int(raw.get("route_memory_mb", 1024)),
            config_retention_days=int(raw.get("config_retention_days", 90)),
            gradual_deploy=bool(raw.get("gradual_deploy", True)),
            pipeline=PipelineSettings.from_context(raw.get("pipeline"), f"{where}.pipeline"),
            extra={k: v for k, v in raw.items() if k not in _KNOWN},
        )


_KNOWN = {
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
    "config_retention_days",
    "gradual_deploy",
    "pipeline",
}
