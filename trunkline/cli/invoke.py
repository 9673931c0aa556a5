"""``trunkline invoke route``: the real route handler on Connect event files, at a chosen time and queue load.

``--at`` fixes the decision's clock (hours, holidays, ``local_time`` rules); ``--metrics`` gives queue metrics as
the poller would have stored them, so metric rules, fallbacks and callback offers are provable without Python.
The metrics file (docs/events.md):

    {"cards_general": {"estimated_wait_time": 420, "agents_available": 0},
     "fraud_general": {"VOICE": {"contacts_in_queue": 3}, "CHAT": {"contacts_in_queue": 0}}}

keys are queue keys of the active version (or Connect queue ids); values are ``metric: number`` for every channel,
or per channel. A queue or metric not in the file is unknown (rules' ``when_unknown`` decides), as in production.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from trunkline.cli.app import import_quietly
from trunkline.cli.errors import CliError, read_json_file
from trunkline.cli.stores import open_store

if TYPE_CHECKING:
    from routing.live_metrics.store import QueueSnapshot
    from trunkline.cli.app import Commands

CHANNELS = ("VOICE", "CHAT", "TASK", "EMAIL")


def parse_at(text: str) -> datetime:
    """An ISO 8601 time with its UTC offset (``2026-12-25T10:00-05:00``, ``…Z``); a naive time is refused,
    since hours are judged in each entry point's own time zone and a guess would prove the wrong thing."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise CliError(f"--at {text!r}: not an ISO 8601 time (e.g. 2026-12-25T10:00:00-05:00)") from None
    if at.tzinfo is None:
        raise CliError(f"--at {text!r}: give a UTC offset or Z (e.g. {text}Z or {text}-05:00)")
    return at.astimezone(UTC)


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CliError(f"{where}: a number, not {json.dumps(value)}")
    return float(value)


def _channel_values(values: object, where: str, known: frozenset[str]) -> dict[str, dict[str, float]]:
    if not isinstance(values, Mapping):
        raise CliError(f"{where}: an object of metric: number (or of channel: {{metric: number}})")
    per_channel = values if values and all(k in CHANNELS for k in values) else dict.fromkeys(CHANNELS, values)
    out: dict[str, dict[str, float]] = {}
    for channel, metrics in per_channel.items():
        if not isinstance(metrics, Mapping):
            raise CliError(f"{where}.{channel}: an object of metric: number")
        for name in metrics:
            if name not in known:
                raise CliError(f"{where}: unknown metric {name!r} (one of {', '.join(sorted(known))})")
        out[channel] = {name: _number(v, f"{where}.{name}") for name, v in metrics.items()}
    return out


def snapshots_from_file(path: str, document: Mapping[str, Any], *, sampled_at: float) -> list[QueueSnapshot]:
    """The metrics file as the poller's snapshots, keyed by queue id; ``CliError`` on anything wrong."""
    from routing.live_metrics.store import QueueSnapshot
    from routing.route.rules import METRIC_NAMES

    data = read_json_file(path, "metrics file")
    if not isinstance(data, dict):
        raise CliError(f"{path}: metrics file must be an object of queue key: {{metric: number}}")
    queues: Mapping[str, Any] = document.get("queues", {})
    ids = {q["queue_id"] for q in queues.values()}
    out = []
    for key, values in data.items():
        if key in queues:
            queue_id = queues[key]["queue_id"]
        elif key in ids:
            queue_id = key
        else:
            raise CliError(f"{path}: unknown queue {key!r} (not a queue key or id of the active version)")
        out.append(QueueSnapshot(queue_id, sampled_at, _channel_values(values, f"{path}: {key}", METRIC_NAMES)))
    return out


def _events(paths: list[str]) -> Iterator[dict[str, Any]]:
    for path in paths:
        loaded = read_json_file(path, "event file")
        yield from loaded if isinstance(loaded, list) else [loaded]


def cmd_invoke(args: argparse.Namespace) -> int:
    """One JSON reply per event, on stdout."""
    from routing.config.cache import ConfigCache
    from routing.route.service import RouteService

    at = parse_at(args.at) if args.at else None
    events = list(_events(args.event))  # every file read (and checked) before anything runs
    route_handler = import_quietly("route.handler", args.verbose)
    with open_store(args) as store:
        view = _metrics_view(args.metrics, store, at) if args.metrics else None
        extra: dict[str, Any] = {} if view is None else {"metrics_view": view}
        if at is not None:
            extra["clock"] = lambda: at
        service = RouteService(ConfigCache(store, refresh_seconds=30), default_queue_id=args.default_queue_id, **extra)
        route_handler.set_service(service)
        try:
            for event in events:
                print(json.dumps(route_handler.lambda_handler(event, None), sort_keys=True))
        finally:
            route_handler.set_service(None)
    return 0


def _metrics_view(path: str, store: Any, at: datetime | None) -> Any:
    """A live-metrics view over the file's snapshots, always fresh (sampled "now" on the decision's clock)."""
    from routing.live_metrics.reader import LiveMetrics
    from routing.live_metrics.store import InMemoryMetricsStore

    pointer = store.get_pointer()
    document = store.load_document(pointer.version_id) if pointer else {}
    now = (at or datetime.now(UTC)).timestamp()
    memory = InMemoryMetricsStore()
    memory.put_many(snapshots_from_file(path, document, sampled_at=now), ttl_seconds=60)
    return LiveMetrics(memory, wall_clock=lambda: now)


def register(commands: Commands) -> None:
    """``invoke route``."""
    p = commands.add(
        "invoke",
        help="run the real route handler on Connect event files; prints one JSON reply per event",
        func=cmd_invoke,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("function", choices=("route",))
    p.add_argument("--event", nargs="+", required=True, metavar="FILE", help="event files (one event or a list)")
    p.add_argument("--at", metavar="ISO_TIME", help="decide at this time, e.g. 2026-12-25T10:00:00-05:00")
    p.add_argument("--metrics", metavar="FILE", help="queue metrics as JSON (see above)")
    p.add_argument("--default-queue-id", default="", help="the deployment's default queue id")
