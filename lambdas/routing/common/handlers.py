"""The one handler pattern of ``lambdas/<fn>/handler.py``: ``lambda_entry`` (Powertools' Lambda context keys and
correlation id, metrics flushed) and ``ServiceSlot`` (the service a handler module builds once and tests inject),
plus what the call-path functions (route, callback) build alike: the config cache and their botocore clients.

Powertools has no built-in correlation path for Amazon Connect (``logging.correlation_paths`` covers API Gateway,
ALB, AppSync, EventBridge, S3 Object Lambda, VPC Lattice), so the Connect one is ours. Powertools sets the id
straight from the event; ``lambda_entry`` then passes it through ``clean_text`` like every echoed event value
(a lone surrogate would make the JSON log formatter drop every line of the call).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from routing.common.observability import logger, metrics
from routing.common.text import clean_text

if TYPE_CHECKING:
    from routing.common.deadline import StoreGate
    from routing.common.settings import Settings
    from routing.config.cache import ConfigCache

CONNECT_CONTACT_ID = "Details.ContactData.ContactId"  # a Connect flow event (route, callback)
CONTACT_EVENT_CONTACT_ID = "detail.contactId"  # an EventBridge "Amazon Connect Contact Event" (outcomes)
EVENT_BRIDGE_ID = "id"  # powertools correlation_paths.EVENT_BRIDGE (the metrics poller's schedule)
CLOUDFORMATION_REQUEST_ID = "RequestId"  # a custom resource event (config publisher)
MAX_CORRELATION_ID = 128

Handler = Callable[[Any, Any], Any]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class LocalContext:
    """Lambda's context for a local call (the CLI's ``invoke``, tests, benches), which passes None: Powertools
    reads these four fields. ``get_remaining_time_in_millis`` answers a minute."""

    function_name: str = "local"
    memory_limit_in_mb: int = 0
    invoked_function_arn: str = ""
    aws_request_id: str = ""

    def get_remaining_time_in_millis(self) -> int:
        """A local call has no deadline of Lambda's: one minute."""
        return 60_000


LOCAL_CONTEXT = LocalContext()


def lambda_entry(correlation_id_path: str) -> Callable[[Handler], Handler]:
    """Decorate a ``lambda_handler``: Powertools' ``inject_lambda_context`` (function name, request id, cold start
    and the correlation id read at ``correlation_id_path``) and ``log_metrics`` (the EMF blob flushed at return).
    Adds no import: Powertools' logger already loads JMESPath."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def cleaned(event: Any, context: Any) -> Any:
            correlation_id = logger.get_correlation_id()
            if correlation_id is not None:
                safe = clean_text(correlation_id, MAX_CORRELATION_ID) if isinstance(correlation_id, str) else None
                if safe != correlation_id:
                    logger.set_correlation_id(safe)
            return handler(event, context)

        logged = metrics.log_metrics(logger.inject_lambda_context(cleaned, correlation_id_path=correlation_id_path))

        @functools.wraps(handler)
        def entry(event: Any, context: Any) -> Any:
            return logged(event, LOCAL_CONTEXT if context is None else context)

        return entry

    return decorate


class ServiceSlot(Generic[T]):
    """The one service a handler module holds. ``build`` makes the default one (settings, stores, clients);
    ``get`` builds it on first use when init did not; ``set`` injects another (tests, the simulator, the demo;
    None: the defaults again on the next call)."""

    def __init__(self, name: str, build: Callable[[], T]) -> None:
        self.name = name
        self._build = build
        self.service: T | None = None

    def build_at_init(self) -> T | None:
        """Build at module load (Lambda's init phase). Never raises: a failure is logged and leaves the slot
        empty, so each invocation tries again inside its own guard."""
        try:
            self.service = self._build()
        except Exception:  # noqa: BLE001 — a cold start must not crash: the invocation answers its safe default
            logger.exception(f"could not build the {self.name} service at init")
            self.service = None
        return self.service

    def get(self) -> T:
        """The service, built now if there is none (may raise: callers guard it)."""
        if self.service is None:
            self.service = self._build()
        return self.service

    def set(self, service: T | None) -> None:
        """Inject ``service``; None rebuilds the defaults on the next ``get``."""
        self.service = service


class _Client(Protocol):
    def warm_up(self) -> None: ...

    def reconnect(self) -> None: ...


@dataclass(slots=True)
class Clients:
    """The DynamoDB stores of a call-path service: their clients built at init (``warm_up``) and rebuilt after a
    SnapStart restore (``reconnects``)."""

    reconnects: list[Callable[[], None]] = field(default_factory=list)
    _warm_ups: list[Callable[[], None]] = field(default_factory=list)

    def add(self, store: _Client) -> None:
        """Track ``store``'s client."""
        self._warm_ups.append(store.warm_up)
        self.reconnects.append(store.reconnect)

    def warm_up(self) -> None:
        """Build every botocore client now (0.2-0.5 s of loading the service model, no request): in the init
        phase, not inside the first call's store budget. A failure is logged: the first read builds it again."""
        for warm_up in self._warm_ups:
            try:
                warm_up()
            except Exception as exc:  # noqa: BLE001 — the first read retries it, under the deadline
                logger.warning("could not build the DynamoDB client at init", extra={"error": repr(exc)})


def config_cache(settings: Settings, gate: StoreGate, clients: Clients) -> ConfigCache:
    """The config cache of a call-path function: the config table (when set; call-path timeouts) behind ``gate``,
    the baked version as the last resort. Without a table nothing imports PynamoDB."""
    from routing.config.cache import ConfigCache

    store = None
    if settings.config_table_name:
        from routing.common.models import StoreTimeouts
        from routing.config.store import DynamoConfigStore

        timeouts = StoreTimeouts.for_budget(settings.store_budget_seconds)
        store = DynamoConfigStore(settings.config_table_name, region=settings.aws_region or None, timeouts=timeouts)
        clients.add(store)
    return ConfigCache(
        store,
        refresh_seconds=settings.config_refresh_seconds,
        retry_seconds=settings.config_retry_seconds,
        baked_path=settings.baked_config_path,
        gate=gate,
    )
