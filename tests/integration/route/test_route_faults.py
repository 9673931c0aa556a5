"""The route handler against DynamoDB endpoints that misbehave (stub servers on localhost, never AWS): a socket that
accepts and never answers, a refused port, a full accept backlog (SYN dropped), HTTP 500, throttling — for a cold
container (nothing in memory) and a warm one. What is asserted: the reply, its config source, and what stopped the
wait (the ``StoreGate`` counters and state), with one loose sanity bound several times the budget."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import route.handler as handler
from routing.common.deadline import BUSY, CLOSED, OPEN
from routing.route.service import RouteService
from tests.conftest import assert_reply_contract
from tests.integration.route.test_route_handler import CARDS_GENERAL, DEPLOY_DEFAULT, FrozenDatetime, write_baked
from trunkline.contacts import connect_event
from trunkline.fault_endpoints import FakeDynamo, dynamo_endpoint

# The production default. A hang is cut whatever the budget; what must finish inside it (a fast failure, a healthy
# read) needs headroom on a loaded CI machine: at 300 ms a localhost throttle answer ran out of budget under load.
BUDGET_MS = 1000
SANITY_SECONDS = 3 * BUDGET_MS / 1000  # loose: a regression to socket timeouts x retries would still be caught
GENERAL: dict[str, Any] = dict(CARDS_GENERAL)
LOST_STOLEN: dict[str, Any] = {"dialed": "+18005550100", "attributes": {"ivr_choice": "1"}}


@pytest.fixture
def fault_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """The route function's environment with the default 1 s store budget and fake credentials; no moto."""
    import routing.route.service

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "CONFIG_TABLE_NAME": "trunkline-config-faults",
        "DEFAULT_QUEUE_ID": DEPLOY_DEFAULT,
        "CONFIG_REFRESH_SECONDS": "0",
        "CONFIG_RETRY_SECONDS": "30",  # the breaker stays open (and the cache waits) 30 s after a failure
        "STORE_BUDGET_MS": str(BUDGET_MS),
        "BAKED_CONFIG_PATH": str(tmp_path / "absent.json"),
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "METRICS_TABLE_NAME", "CONNECT_INSTANCE_ARN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(routing.route.service, "datetime", FrozenDatetime)
    yield tmp_path
    handler.set_service(None)


def cold_container(monkeypatch: pytest.MonkeyPatch, endpoint: str) -> RouteService:
    """A new execution environment pointed at ``endpoint``: init builds the service, nothing is in memory."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
    service = handler.build_service()
    handler.set_service(service)
    return service


def timed_invoke(event: dict[str, Any]) -> tuple[dict[str, str], float]:
    started = time.perf_counter()
    reply = assert_reply_contract(handler.lambda_handler(event, None))
    return reply, time.perf_counter() - started


FAST_FAILURES = ["refused", "syn_dropped", "http500", "throttle"]


@pytest.mark.parametrize("with_baked", [True, False], ids=["baked", "no-baked"])
@pytest.mark.parametrize("kind", ["blackhole", *FAST_FAILURES])
def test_a_cold_container_answers_from_the_baked_version_or_the_default_queue(
    fault_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    sample_document: dict[str, Any],
    kind: str,
    with_baked: bool,
) -> None:
    if with_baked:
        monkeypatch.setenv("BAKED_CONFIG_PATH", str(write_baked(fault_env / "baked.json", sample_document)))
    with dynamo_endpoint(kind, sample_document) as (endpoint, fake):
        service = cold_container(monkeypatch, endpoint)
        reply, elapsed = timed_invoke(connect_event(**GENERAL))
        gate = service.store_gate
        assert gate is not None
        if kind == "blackhole":
            # The deadline stopped the wait (the request may still hang: busy; or it timed out since: open) …
            assert gate.stats.deadline_exceeded == 1
            assert gate.state in (BUSY, OPEN)
            # … and the next calls do not ask the store again before the retry interval.
            again = [timed_invoke(connect_event(**GENERAL))[0] for _ in range(3)]
            assert gate.stats.requests == 1
            assert {r["config_source"] for r in again} == {reply["config_source"]}
        else:
            # The store failed fast, once: no retry, no deadline needed.
            assert (gate.stats.deadline_exceeded, gate.stats.requests, gate.stats.completed) == (0, 1, 1)
        if fake is not None:
            assert fake.requests == {"GetItem": 1}
    if with_baked:
        assert (reply["status"], reply["config_source"], reply["queue_key"]) == ("ROUTED", "baked", "cards_general")
    else:
        assert (reply["status"], reply["config_source"], reply["queue_id"]) == ("ERROR_DEFAULT", "none", DEPLOY_DEFAULT)
    assert elapsed < SANITY_SECONDS


@pytest.mark.parametrize("kind", ["blackhole", "refused", "http500", "throttle"])
def test_a_warm_container_keeps_its_last_known_good(
    fault_env: Path, monkeypatch: pytest.MonkeyPatch, sample_document: dict[str, Any], kind: str
) -> None:
    fake = FakeDynamo().start()
    fake.publish(sample_document)
    try:
        service = cold_container(monkeypatch, fake.endpoint)
        healthy, _ = timed_invoke(connect_event(**GENERAL))
        assert (healthy["config_source"], healthy["config_version"]) == ("active", "v000001")
        if kind == "refused":
            fake.stop()  # the port closes: connections are refused
        else:
            fake.mode = kind
        reply, elapsed = timed_invoke(connect_event(**GENERAL))
        gate = service.store_gate
        assert gate is not None
        assert gate.stats.deadline_exceeded == (1 if kind == "blackhole" else 0)
        assert gate.state in ((BUSY, OPEN) if kind == "blackhole" else (CLOSED,))
    finally:
        fake.stop()
    assert (reply["status"], reply["config_source"], reply["config_version"], reply["queue_key"]) == (
        "ROUTED",
        "last_known_good",
        "v000001",
        "cards_general",
    )
    assert elapsed < SANITY_SECONDS


def test_one_deadline_covers_the_config_check_and_the_metrics_read(
    fault_env: Path, monkeypatch: pytest.MonkeyPatch, sample_document: dict[str, Any]
) -> None:
    monkeypatch.setenv("METRICS_TABLE_NAME", "trunkline-metrics-faults")
    monkeypatch.setenv("BAKED_CONFIG_PATH", str(write_baked(fault_env / "baked.json", sample_document)))
    with dynamo_endpoint("blackhole", sample_document) as (endpoint, fake):
        service = cold_container(monkeypatch, endpoint)
        reply, elapsed = timed_invoke(connect_event(**LOST_STOLEN))
        gate = service.store_gate
        assert gate is not None
        # The pointer read spent the budget; the metrics read was never sent (not a second wait).
        assert (gate.stats.deadline_exceeded, gate.stats.requests) == (1, 1)
        assert gate.stats.skipped >= 1
        assert fake is not None
        assert fake.requests == {"GetItem": 1}
    # Unread metrics are unknown, not "nobody staffed": the unstaffed overflow (when_unknown false) does not fire.
    assert (reply["config_source"], reply["queue_key"], reply["fallback_reason"], reply["metrics_age_s"]) == (
        "baked",
        "cards_lost_stolen",
        "",
        "",
    )
    assert elapsed < SANITY_SECONDS


def test_live_metrics_are_read_in_one_batch_within_the_budget(
    fault_env: Path, monkeypatch: pytest.MonkeyPatch, sample_document: dict[str, Any]
) -> None:
    monkeypatch.setenv("METRICS_TABLE_NAME", "trunkline-metrics-faults")
    lost_stolen = sample_document["queues"]["cards_lost_stolen"]["queue_id"]
    with dynamo_endpoint("ok", sample_document) as (endpoint, fake):
        assert fake is not None
        fake.put_snapshot(lost_stolen, FrozenDatetime.now().timestamp() - 3, {"VOICE": {"agents_staffed": 0}})
        service = cold_container(monkeypatch, endpoint)
        monkeypatch.setattr("routing.live_metrics.reader.time.time", lambda: FrozenDatetime.now().timestamp())
        service._metrics_view._wall = lambda: FrozenDatetime.now().timestamp()  # type: ignore[attr-defined]
        reply, _ = timed_invoke(connect_event(**LOST_STOLEN))
        assert fake.requests == {"GetItem": 1, "Query": 1, "BatchGetItem": 1}
    assert (reply["config_source"], reply["queue_key"], reply["fallback_reason"]) == (
        "active",
        "cards_general",
        "unstaffed:cards_lost_stolen",
    )
