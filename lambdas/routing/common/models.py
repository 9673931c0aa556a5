"""All PynamoDB models, in one module.

Timeouts and retries fit inside a flow's 3 s invoke budget (PynamoDB's defaults — 15 s connect, 30 s read,
3 retries — would let one slow call outlive the flow's whole timeout). The defaults below (0.3 s connect, 0.6 s
read, 2 attempts) serve the tools and background functions; the route function binds its models with
``StoreTimeouts.for_budget`` (one attempt, timeouts inside its per-call budget), and its ``StoreGate``
(``routing.common.deadline``) is what actually bounds a call — socket timeouts cannot bound a slow trickle.
PynamoDB 6 passes ``max_retry_attempts`` to botocore as ``total_max_attempts = 1 + max_retry_attempts`` in botocore's
``standard`` retry mode (its own jittered exponential backoff; PynamoDB no longer has a backoff setting of its own).
Table names come from ``bind_model`` (called once with typed settings), never from the environment at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

CONNECT_TIMEOUT_S = 0.3
READ_TIMEOUT_S = 0.6
MAX_RETRIES = 1


@dataclass(frozen=True, slots=True)
class StoreTimeouts:
    """Socket timeouts and retries of one model's botocore client."""

    connect_seconds: float
    read_seconds: float
    max_retry_attempts: int  # PynamoDB 6: botocore total_max_attempts = 1 + this

    @classmethod
    def for_budget(cls, budget_seconds: float) -> StoreTimeouts:
        """A call-path client under a per-call budget: no retry (one more attempt cannot fit after a timeout and
        botocore's backoff; the cache retries after its interval instead), connect within a quarter of the
        budget (a healthy connect takes milliseconds), and a read timeout of 1.5 budgets: the gate's deadline is
        always what cuts a hung call (one cause to reason about), and the socket timeout then frees the gate's
        worker soon after its caller left. (A trickling answer can outlast any read timeout: the gate stays
        busy meanwhile and calls decide without the store.)"""
        return cls(
            connect_seconds=round(min(0.25, budget_seconds / 4), 3),
            read_seconds=round(budget_seconds * 1.5, 3),
            max_retry_attempts=0,
        )


class _BudgetMeta:
    connect_timeout_seconds = CONNECT_TIMEOUT_S
    read_timeout_seconds = READ_TIMEOUT_S
    max_retry_attempts = MAX_RETRIES
    billing_mode = "PAY_PER_REQUEST"


class ConfigItem(Model):
    """One item of the config table: the active pointer, a version's META or CHUNK, an AUDIT record, a DRAFT or
    an APPROVAL (admin API)."""

    class Meta(_BudgetMeta):
        table_name = "trunkline-config"
        region: str | None = None
        host: str | None = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    # pointer
    version_id = UnicodeAttribute(null=True)
    previous_version_id = UnicodeAttribute(null=True)
    revision = NumberAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)
    # version META
    content_hash = UnicodeAttribute(null=True)
    published_by = UnicodeAttribute(null=True)
    published_at = UnicodeAttribute(null=True)
    summary = UnicodeAttribute(null=True)
    chunk_count = NumberAttribute(null=True)
    size_bytes = NumberAttribute(null=True)
    expires_at = TTLAttribute(null=True)
    # version CHUNK
    data = BinaryAttribute(null=True, legacy_encoding=False)
    # AUDIT
    action = UnicodeAttribute(null=True)
    actor = UnicodeAttribute(null=True)
    from_version = UnicodeAttribute(null=True)
    to_version = UnicodeAttribute(null=True)
    detail = UnicodeAttribute(null=True)
    verified = BooleanAttribute(null=True)  # actor from a verified token (admin API), not a tool's free text
    changes = UnicodeAttribute(null=True)  # JSON: before/after per field
    # DRAFT (admin API; the document is one zlib item in ``data``) and APPROVAL
    author = UnicodeAttribute(null=True)
    state = UnicodeAttribute(null=True)
    base_version = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)


class QueueMetricsItem(Model):
    """The latest live-metrics snapshot of one Connect queue (metrics table, one item per queue, per region)."""

    class Meta(_BudgetMeta):
        table_name = "trunkline-metrics"
        region: str | None = None
        host: str | None = None

    pk = UnicodeAttribute(hash_key=True)  # Connect queue id
    sampled_at = NumberAttribute()  # epoch seconds of the GetCurrentMetricData response
    values = UnicodeAttribute()  # JSON: {channel: {metric: number}}; a metric Connect returned null for is absent
    expires_at = TTLAttribute(null=True)


class CallbackItem(Model):
    """Callback table (``routing.callback.store``): ``LOCK#<queue>#<hmac>`` (the hold on a number, reserved
    for minutes then confirmed for the de-dup window), ``CONTACT#<id>`` (what a contact holds: idempotent retries,
    release), ``CAP#<queue>#<bucket>#<shard>`` (count). Numbers only as a keyed hash, never raw."""

    class Meta(_BudgetMeta):
        table_name = "trunkline-callbacks"
        region: str | None = None
        host: str | None = None

    pk = UnicodeAttribute(hash_key=True)
    contact_id = UnicodeAttribute(null=True)
    queue_key = UnicodeAttribute(null=True)
    number_hash = UnicodeAttribute(null=True)  # HMAC-SHA256 of the E.164 number (routing.callback.request.NumberHasher)
    profile = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)  # RESERVED | CONFIRMED (lock and contact items)
    lock_key = UnicodeAttribute(null=True)  # contact item: the LOCK it holds
    cap_key = UnicodeAttribute(null=True)  # contact item: the CAP shard it counted against
    window_seconds = NumberAttribute(null=True)  # contact item: the de-dup window a confirm extends the hold to
    created_at = NumberAttribute(null=True)
    lock_until = NumberAttribute(null=True)  # epoch seconds: the hold is void after this even before TTL deletes it
    open_count = NumberAttribute(null=True)
    expires_at = TTLAttribute(null=True)


class _AsyncMeta:
    """The outcome function is an asynchronous consumer: no caller waits, so allow more time than the call path."""

    connect_timeout_seconds = 1.0
    read_timeout_seconds = 2.0
    max_retry_attempts = 3
    billing_mode = "PAY_PER_REQUEST"


def _slot(event_type: str) -> MapAttribute[str, Any]:
    """A raw map attribute named after the event type it records."""
    return MapAttribute(null=True, attr_name=event_type)  # type: ignore[no-untyped-call]


class CallLogByEndedHour(GlobalSecondaryIndex["CallLogItem"]):  # type: ignore[no-untyped-call]
    """The contacts that ended in one UTC hour (the hourly reconciliation with Connect's own metrics)."""

    class Meta:
        index_name = "by-ended-hour"
        projection = AllProjection()

    ended_hour = UnicodeAttribute(hash_key=True)


class CallLogItem(Model):
    """One contact's call log (call-log table, per region): one raw map *slot* per contact event type, each the
    latest event of that type (``routing.outcomes.events``), and one for the contact record (``RECORD``, the latest
    by ``LastUpdateTimestamp``); ``counted`` marks the outcome already sent as metrics."""

    class Meta(_AsyncMeta):
        table_name = "trunkline-call-log"
        region: str | None = None
        host: str | None = None

    contact_id = UnicodeAttribute(hash_key=True)
    ev_initiated = _slot("INITIATED")
    ev_connected_to_system = _slot("CONNECTED_TO_SYSTEM")
    ev_queued = _slot("QUEUED")
    ev_connected_to_agent = _slot("CONNECTED_TO_AGENT")
    ev_disconnected = _slot("DISCONNECTED")
    ev_completed = _slot("COMPLETED")
    ev_record = _slot("RECORD")
    ended_hour = UnicodeAttribute(null=True)  # UTC hour of the disconnect, "2026-12-04T13" (index by-ended-hour)
    by_ended_hour = CallLogByEndedHour()
    counted = UnicodeAttribute(null=True)  # the outcome the metrics were sent for
    updated_at = NumberAttribute(null=True)  # epoch seconds of the last applied event (diagnostics only)
    expires_at = TTLAttribute(null=True)


ALL_MODELS: tuple[type[Model], ...] = (ConfigItem, QueueMetricsItem, CallbackItem, CallLogItem)
# Each model's own timeouts, restored by a ``bind_model`` without ``timeouts`` (Meta is class-level state).
_DEFAULT_TIMEOUTS = {
    m: StoreTimeouts(m.Meta.connect_timeout_seconds, m.Meta.read_timeout_seconds, m.Meta.max_retry_attempts)
    for m in ALL_MODELS
}


_shared_session: Any = None


def build_client(model: type[Model]) -> None:
    """Build ``model``'s botocore client now (no request). Every model warmed here shares one botocore session,
    so the SDK's data files (endpoints, the DynamoDB service model) load once per container instead of once per
    model: PynamoDB otherwise gives each model's connection a session of its own (measured: two clients 350-650 ms
    on separate sessions, 160-200 ms on one, on the loaded dev machine)."""
    global _shared_session  # noqa: PLW0603
    from botocore.session import get_session

    connection: Any = model._get_connection().connection
    if getattr(connection._local, "session", None) is None:  # PynamoDB keeps its session per thread
        if _shared_session is None:
            _shared_session = get_session()
        connection._local.session = _shared_session
    _ = connection.client


def renew_clients(models: tuple[type[Model], ...]) -> None:
    """After a SnapStart restore: a new botocore session and a new client per model (the snapshot's pooled
    connections are stale, and credentials are resolved again), keeping the session's loaded data files (the
    DynamoDB service model), so this costs milliseconds, not the 0.2-0.5 s of a first build. No request."""
    global _shared_session  # noqa: PLW0603
    from botocore.session import get_session

    fresh = get_session()
    if _shared_session is not None:
        fresh.register_component("data_loader", _shared_session.get_component("data_loader"))
    _shared_session = fresh
    for model in models:
        model._connection = None  # PynamoDB caches the connection (and its client) on the class
        build_client(model)


def bind_model(
    model: type[Model],
    *,
    table_name: str,
    region: str | None = None,
    host: str | None = None,
    timeouts: StoreTimeouts | None = None,
) -> None:
    """Point ``model`` at a table (name, region, optional endpoint) once per cold start or test, with
    ``timeouts`` (default: the model's own)."""
    meta: Any = model.Meta
    meta.table_name = table_name
    if region:
        meta.region = region
    meta.host = host
    timeouts = timeouts or _DEFAULT_TIMEOUTS.get(model)
    if timeouts is not None:
        meta.connect_timeout_seconds = timeouts.connect_seconds
        meta.read_timeout_seconds = timeouts.read_seconds
        meta.max_retry_attempts = timeouts.max_retry_attempts
    # PynamoDB caches its connection on the class: drop it so the new table/region/endpoint takes effect.
    model._connection = None
