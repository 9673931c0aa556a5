"""Typed settings: the only place that reads ``os.environ``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

# Where the bundle puts the baked version (stacks/constructs/bundle_build.py: routing/baked/config.json).
BAKED_CONFIG_DEFAULT = Path(__file__).parents[1] / "baked" / "config.json"
DEFAULT_STORE_BUDGET_MS = 1000.0
DEFAULT_INIT_STORE_BUDGET_MS = 2000.0


class SettingsError(ValueError):
    """An environment variable is missing or malformed."""


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from exc
    if value < 0:
        raise SettingsError(f"{name} must be >= 0, got {raw!r}")
    return value


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a function needs from its environment, read once per cold start."""

    config_table_name: str
    default_queue_id: str = ""
    connect_instance_arn: str = ""
    config_refresh_seconds: float = 30.0
    config_retry_seconds: float = 5.0
    baked_config_path: Path = BAKED_CONFIG_DEFAULT
    metrics_table_name: str = ""
    metrics_cache_seconds: float = 15.0  # how often the route re-reads a snapshot: never below the poll interval
    metrics_stale_seconds: float = 60.0
    metrics_requests_per_second: float = 2.0
    metrics_samples_per_invocation: int = 4
    metrics_sample_interval_seconds: float = 15.0
    callback_table_name: str = ""
    # HMAC key for phone numbers in the callback table (>= 32 bytes; the same in every region: see
    # docs/design/callback.md). Empty: the callback function refuses to reserve and the caller keeps their place.
    callback_number_key: str = field(default="", repr=False)  # a secret: never in a repr or a log
    callback_reservation_seconds: float = 300.0  # an unconfirmed hold lapses after this
    callback_cap_shards: int = 4  # per-queue cap counters (a hot queue's writes spread over them)
    call_log_table_name: str = ""
    call_log_ttl_days: float = 90.0
    # Hourly reconciliation with GetMetricDataV2 (routing.outcomes.reconcile): a queue drifts beyond the larger of
    # the two bounds; the hour reconciled ends this many hours before the current one.
    reconcile_tolerance_contacts: int = 2
    reconcile_tolerance_percent: float = 5.0
    reconcile_lag_hours: int = 2
    aws_region: str = ""
    store_budget_seconds: float = DEFAULT_STORE_BUDGET_MS / 1000  # one call's whole store I/O (routing.common.deadline)
    # Init's store I/O (the active version loaded before the first call; SnapStart snapshots it). 0: none at init.
    init_store_budget_seconds: float = DEFAULT_INIT_STORE_BUDGET_MS / 1000
    # Lambda's AWS_LAMBDA_INITIALIZATION_TYPE: on-demand, provisioned-concurrency or snap-start ("" outside Lambda).
    initialization_type: str = ""
    # Admin API: four-eyes (a publish needs another person's approval) and the regions serving the same config.
    admin_four_eyes: bool = False
    admin_regions: tuple[str, ...] = ()
    admin_portal_origin: str = ""  # the one origin CORS allows (https://portal.example.com); "" allows none

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``env`` (default: the process environment)."""
        env = os.environ if env is None else env
        # Reading a snapshot more often than the poller writes it re-reads the same item: the poll interval is the
        # floor (and the default) of the route's read interval.
        sample_interval = _float(env, "METRICS_SAMPLE_INTERVAL_SECONDS", 15.0)
        return cls(
            config_table_name=env.get("CONFIG_TABLE_NAME", ""),
            default_queue_id=env.get("DEFAULT_QUEUE_ID", ""),
            connect_instance_arn=env.get("CONNECT_INSTANCE_ARN", ""),
            config_refresh_seconds=_float(env, "CONFIG_REFRESH_SECONDS", 30.0),
            config_retry_seconds=_float(env, "CONFIG_RETRY_SECONDS", 5.0),
            baked_config_path=Path(env.get("BAKED_CONFIG_PATH") or BAKED_CONFIG_DEFAULT),
            metrics_table_name=env.get("METRICS_TABLE_NAME", ""),
            metrics_cache_seconds=max(_float(env, "METRICS_CACHE_SECONDS", sample_interval), sample_interval),
            metrics_stale_seconds=_float(env, "METRICS_STALE_SECONDS", 60.0),
            metrics_requests_per_second=_float(env, "METRICS_REQUESTS_PER_SECOND", 2.0) or 2.0,
            metrics_samples_per_invocation=int(_float(env, "METRICS_SAMPLES_PER_INVOCATION", 4)) or 1,
            metrics_sample_interval_seconds=sample_interval,
            callback_table_name=env.get("CALLBACK_TABLE_NAME", ""),
            callback_number_key=env.get("CALLBACK_NUMBER_KEY", ""),
            callback_reservation_seconds=_float(env, "CALLBACK_RESERVATION_SECONDS", 300.0) or 300.0,
            callback_cap_shards=int(_float(env, "CALLBACK_CAP_SHARDS", 4)) or 1,
            call_log_table_name=env.get("CALL_LOG_TABLE_NAME", ""),
            call_log_ttl_days=_float(env, "CALL_LOG_TTL_DAYS", 90.0) or 90.0,
            reconcile_tolerance_contacts=int(_float(env, "RECONCILE_TOLERANCE_CONTACTS", 2)),
            reconcile_tolerance_percent=_float(env, "RECONCILE_TOLERANCE_PERCENT", 5.0),
            reconcile_lag_hours=int(_float(env, "RECONCILE_LAG_HOURS", 2)),
            aws_region=env.get("AWS_REGION", env.get("AWS_DEFAULT_REGION", "")),
            store_budget_seconds=(_float(env, "STORE_BUDGET_MS", DEFAULT_STORE_BUDGET_MS) or DEFAULT_STORE_BUDGET_MS)
            / 1000,
            init_store_budget_seconds=_float(env, "INIT_STORE_BUDGET_MS", DEFAULT_INIT_STORE_BUDGET_MS) / 1000,
            initialization_type=env.get("AWS_LAMBDA_INITIALIZATION_TYPE", ""),
            admin_four_eyes=env.get("ADMIN_FOUR_EYES", "").strip().lower() in ("1", "true", "yes"),
            admin_regions=tuple(r.strip() for r in env.get("ADMIN_REGIONS", "").split(",") if r.strip()),
            admin_portal_origin=env.get("ADMIN_PORTAL_ORIGIN", "").strip().rstrip("/"),
        )

    @property
    def init_budget_seconds(self) -> float:
        """The store budget of this environment's init. The whole init budget only where no caller waits for init
        (a SnapStart snapshot, a provisioned environment); an on-demand init runs inside the caller's first call,
        so there it gets no more than a call's budget (the first call then does not read again: the total stays
        what one call may spend)."""
        if self.initialization_type in ("snap-start", "provisioned-concurrency"):
            return self.init_store_budget_seconds
        return min(self.init_store_budget_seconds, self.store_budget_seconds)
