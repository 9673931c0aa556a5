"""All PynamoDB models, in one module.

Timeouts and retries fit inside a flow's 3 s invoke budget (PynamoDB's defaults — 15 s connect, 30 s read,
3 retries — would let one slow call outlive the flow's whole timeout). Worst case per request: 2 attempts x
0.6 s + backoff ≈ 1.25 s, so a cold start's pointer read plus version load stays under 2.5 s even when both hang;
after a failure the cache serves last-known-good/baked and retries only after ``CONFIG_RETRY_SECONDS``.
Table names come from ``bind_model`` (called once with typed settings), never from the environment at import time.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import BinaryAttribute, MapAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

CONNECT_TIMEOUT_S = 0.3
READ_TIMEOUT_S = 0.6
MAX_RETRIES = 1
BASE_BACKOFF_MS = 25


class _BudgetMeta:
    connect_timeout_seconds = CONNECT_TIMEOUT_S
    read_timeout_seconds = READ_TIMEOUT_S
    max_retry_attempts = MAX_RETRIES
    base_backoff_ms = BASE_BACKOFF_MS
    billing_mode = "PAY_PER_REQUEST"


class ConfigItem(Model):
    """One item of the config table: the active pointer, a version's META or CHUNK, or an AUDIT record."""

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
    """Callback table (``routing.data.callback_store``): ``LOCK#<queue>#<hmac>`` (the hold on a number, reserved
    for minutes then confirmed for the de-dup window), ``CONTACT#<id>`` (what a contact holds: idempotent retries,
    release), ``CAP#<queue>#<bucket>#<shard>`` (count). Numbers only as a keyed hash, never raw."""

    class Meta(_BudgetMeta):
        table_name = "trunkline-callbacks"
        region: str | None = None
        host: str | None = None

    pk = UnicodeAttribute(hash_key=True)
    contact_id = UnicodeAttribute(null=True)
    queue_key = UnicodeAttribute(null=True)
    number_hash = UnicodeAttribute(null=True)  # HMAC-SHA256 of the E.164 number (routing.callback.NumberHasher)
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
    base_backoff_ms = 50
    billing_mode = "PAY_PER_REQUEST"


def _slot(event_type: str) -> MapAttribute[str, Any]:
    """A raw map attribute named after the event type it records."""
    return MapAttribute(null=True, attr_name=event_type)  # type: ignore[no-untyped-call]


class CallLogItem(Model):
    """One contact's call log (call-log table, per region): one raw map *slot* per contact event type, each the
    latest event of that type (``routing.outcomes``); ``counted`` marks the outcome already sent as metrics."""

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
    counted = UnicodeAttribute(null=True)  # the outcome the metrics were sent for
    updated_at = NumberAttribute(null=True)  # epoch seconds of the last applied event (diagnostics only)
    expires_at = TTLAttribute(null=True)


ALL_MODELS: tuple[type[Model], ...] = (ConfigItem, QueueMetricsItem, CallbackItem, CallLogItem)


def bind_model(model: type[Model], *, table_name: str, region: str | None = None, host: str | None = None) -> None:
    """Point ``model`` at a table (name, region, optional endpoint) once per cold start or test."""
    meta: Any = model.Meta
    meta.table_name = table_name
    if region:
        meta.region = region
    meta.host = host
    # PynamoDB caches its connection on the class: drop it so the new table/region/endpoint takes effect.
    model._connection = None
