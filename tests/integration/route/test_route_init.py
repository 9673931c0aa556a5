"""The route function's init (``route.handler.initialize``, what Lambda's init and a SnapStart snapshot run) and its
after-restore hook, end to end: moto when the store is healthy, local fault endpoints when it is not."""

from __future__ import annotations

import json
import random
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import route.handler as handler
from routing.common.deadline import CLOSED, StoreGate
from routing.common.models import ConfigItem
from routing.common.observability import logger
from routing.config.publishing import publish_document
from routing.route.service import RouteService
from tests.conftest import assert_reply_contract
from tests.integration.route.test_route_handler import DEPLOY_DEFAULT, route_env, write_baked
from trunkline.contacts import connect_event
from trunkline.fault_endpoints import FakeDynamo, refused_endpoint

__all__ = ["route_env"]  # the fixture, shared with test_route_handler

EVENT = connect_event(dialed="+18005550100", caller="+12125550187", attributes={"ivr_choice": "5"})  # CARDS_GENERAL


@pytest.fixture
def init_env(route_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The route environment with the deployed refresh interval (the first call is not due for a check)."""
    monkeypatch.setenv("CONFIG_REFRESH_SECONDS", "30")
    monkeypatch.setenv("CONFIG_RETRY_SECONDS", "30")
    return route_env


@pytest.fixture
def offline_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """The route function's environment without moto (the endpoint is a local fault stand-in); 300 ms budget."""
    import routing.route.service
    from tests.integration.route.test_route_handler import FrozenDatetime

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "CONFIG_TABLE_NAME": "trunkline-config-init",
        "DEFAULT_QUEUE_ID": DEPLOY_DEFAULT,
        "CONFIG_REFRESH_SECONDS": "30",
        "CONFIG_RETRY_SECONDS": "30",
        "STORE_BUDGET_MS": "300",
        "INIT_STORE_BUDGET_MS": "300",
        "BAKED_CONFIG_PATH": str(tmp_path / "absent.json"),
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "METRICS_TABLE_NAME", "CONNECT_INSTANCE_ARN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(routing.route.service, "datetime", FrozenDatetime)
    yield tmp_path
    handler.set_service(None)


def invoke() -> dict[str, str]:
    return assert_reply_contract(handler.lambda_handler(EVENT, None))


def gate_of(service: RouteService) -> Any:
    assert service.store_gate is not None
    return service.store_gate


# --- init ----------------------------------------------------------------------------------------------------


def test_with_the_store_healthy_the_first_call_decides_from_the_active_version_without_a_request(
    init_env: dict[str, Any], dynamodb_calls: dict[str, Any], sample_document: dict[str, Any]
) -> None:
    publish_document(init_env["store"], sample_document, actor="t", summary="s")
    dynamodb_calls["counts"].clear()
    # Given init ran (Lambda's init phase: module load)
    service = handler.initialize()
    assert dynamodb_calls["counts"] == {"GetItem": 1, "Query": 1}  # pointer and version, at init
    dynamodb_calls["counts"].clear()
    # When the first call comes
    reply = invoke()
    # Then it decides from the active version, from memory: zero store requests
    assert (reply["status"], reply["config_source"], reply["config_version"]) == ("ROUTED", "active", "v000001")
    assert dynamodb_calls["counts"] == {}
    # And init compiled every ruleset, not only the one this call needed
    compiled = service._cache._compiled
    assert compiled is not None
    assert compiled.rulesets.compiled_keys() == frozenset(sample_document["rulesets"])  # type: ignore[attr-defined]


def test_with_the_store_refused_init_still_yields_a_service_answering_from_the_baked_version(
    offline_env: Path, monkeypatch: pytest.MonkeyPatch, sample_document: dict[str, Any]
) -> None:
    monkeypatch.setenv("BAKED_CONFIG_PATH", str(write_baked(offline_env / "baked.json", sample_document)))
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", refused_endpoint())
    service = handler.initialize()  # does not raise
    assert service.config_source == "baked"
    reply = invoke()
    assert (reply["status"], reply["config_source"], reply["queue_key"]) == ("ROUTED", "baked", "cards_general")
    assert gate_of(service).stats.requests == 1  # the pointer read at init; the first call waits for the retry


def test_with_the_store_refused_and_no_baked_version_init_still_yields_a_service(
    offline_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", refused_endpoint())
    handler.initialize()
    reply = invoke()
    assert (reply["status"], reply["config_source"], reply["queue_id"]) == ("ERROR_DEFAULT", "none", DEPLOY_DEFAULT)


def test_init_creates_nothing_that_must_be_unique(
    init_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch, sample_document: dict[str, Any]
) -> None:
    publish_document(init_env["store"], sample_document, actor="t", summary="s")
    made: list[str] = []
    ours = str(Path(handler.__file__).resolve().parents[1])  # lambdas/: botocore's per-request ids are fine

    def recording(name: str, original: Any) -> Any:
        def record(*args: Any, **kwargs: Any) -> Any:
            caller = sys._getframe(1).f_code.co_filename
            if caller.startswith(ours):
                made.append(f"{name} from {caller}")
            return original(*args, **kwargs)

        return record

    for module, name in ((uuid, "uuid4"), (uuid, "uuid1"), (random, "seed"), (random, "Random")):
        monkeypatch.setattr(module, name, recording(name, getattr(module, name)))
    logger.set_correlation_id(None)
    handler.initialize()
    handler.simulate_snapshot()
    # No id, no seed of its own: each restored environment makes them after the restore
    assert made == []
    assert logger.get_correlation_id() is None


# --- after restore -------------------------------------------------------------------------------------------


def test_a_restore_replaces_the_clients_and_the_next_call_checks_the_store_under_its_deadline(
    init_env: dict[str, Any], dynamodb_calls: dict[str, Any], sample_document: dict[str, Any]
) -> None:
    publish_document(init_env["store"], sample_document, actor="t", summary="s")
    service = handler.initialize()
    before = ConfigItem._get_connection().connection.client
    dynamodb_calls["counts"].clear()
    # When Lambda restores the snapshot
    handler.simulate_restore()
    # Then the DynamoDB client is a new one (the snapshot's connections are stale) and nothing was sent
    assert ConfigItem._get_connection().connection.client is not before
    assert dynamodb_calls["counts"] == {}
    # And the next call checks the pointer (the version is unchanged: no reload), through the call's gate
    requests = gate_of(service).stats.requests
    reply = invoke()
    assert dynamodb_calls["counts"] == {"GetItem": 1}
    assert gate_of(service).stats.requests == requests + 1
    assert (reply["config_source"], reply["config_version"]) == ("active", "v000001")
    # And only that call: the one after it decides from memory again
    invoke()
    assert dynamodb_calls["counts"] == {"GetItem": 1}


def test_the_check_after_a_restore_is_cut_by_the_calls_deadline(
    offline_env: Path, sample_document: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeDynamo().start()
    try:
        fake.publish(sample_document)
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", fake.endpoint)
        service = handler.initialize()
        assert service.config_source == "active"
        # Given the store hangs after the restore
        fake.mode = "blackhole"
        handler.simulate_restore()
        reply = invoke()
    finally:
        fake.stop()
    # Then the freshness check was abandoned at the call's deadline, and the call kept the version in memory
    assert gate_of(service).stats.deadline_exceeded == 1
    assert (reply["status"], reply["config_source"], reply["config_version"]) == (
        "ROUTED",
        "last_known_good",
        "v000001",
    )


def test_a_request_hung_across_the_snapshot_does_not_keep_the_restored_environment_off_the_store(
    offline_env: Path, sample_document: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BAKED_CONFIG_PATH", str(write_baked(offline_env / "baked.json", sample_document)))
    monkeypatch.setenv("INIT_STORE_BUDGET_MS", "5000")  # on demand (no AWS_LAMBDA_INITIALIZATION_TYPE): capped
    budgets: list[float | None] = []
    real_call = StoreGate.call

    def spy(gate: StoreGate, budget: float | None = None) -> Any:
        budgets.append(budget)
        return real_call(gate, budget)

    monkeypatch.setattr(StoreGate, "call", spy)
    fake = FakeDynamo(mode="blackhole").start()
    try:
        fake.publish(sample_document)
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", fake.endpoint)
        # Given init's read hung past the init budget (the gate is busy, then open for 30 s)
        service = handler.initialize()
        assert service.config_source == "baked"
        assert gate_of(service).state != CLOSED
        assert budgets == [0.3]  # an on-demand init waits no longer than a call would
        # When the environment is restored where the store answers
        fake.mode = "ok"
        handler.simulate_restore()
        reply = invoke()
    finally:
        fake.stop()
    # Then its first call reaches the store and moves to the active version
    assert (reply["config_source"], reply["config_version"]) == ("active", "v000001")


def test_the_first_decision_after_a_restore_records_it(
    init_env: dict[str, Any], sample_document: dict[str, Any], lambda_logs: Any
) -> None:
    publish_document(init_env["store"], sample_document, actor="t", summary="s")
    handler.initialize()
    invoke()
    handler.simulate_restore()
    invoke()
    invoke()
    lines = [json.loads(x) for x in lambda_logs.getvalue().splitlines() if '"message":"decision"' in x]
    assert [line["restored"] for line in lines] == [False, True, False]
    assert lines[1]["restores"] == lines[2]["restores"] >= 1
    assert lines[2]["since_restore_s"] >= lines[1]["since_restore_s"] >= 0


FIRST_CALL_IMPORTS = """
import json, sys
from datetime import UTC, datetime
import route.handler as h
import routing.route.service

class Open(datetime):  # a Tuesday morning: the line is open, so the call takes the ROUTED path
    @classmethod
    def now(cls, tz=None):
        return datetime(2026, 11, 24, 15, 30, tzinfo=UTC).astimezone(tz)

routing.route.service.datetime = Open
before = set(sys.modules)
reply = h.lambda_handler(json.loads(sys.argv[1]), None)
print(json.dumps([reply["status"], reply["config_source"], sorted(set(sys.modules) - before)]))
"""


def test_init_imports_everything_the_first_decision_needs(tmp_path: Path, sample_document: dict[str, Any]) -> None:
    import subprocess

    baked = write_baked(tmp_path / "baked.json", sample_document)
    root = Path(handler.__file__).resolve().parents[2]
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": f"{root / 'lambdas'}:{root}",
        "BAKED_CONFIG_PATH": str(baked),
        "DEFAULT_QUEUE_ID": DEPLOY_DEFAULT,
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
    run = subprocess.run(
        [sys.executable, "-c", FIRST_CALL_IMPORTS, json.dumps(EVENT)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=60,
    )
    status, source, imported = json.loads(run.stdout.strip().splitlines()[-1])
    assert (status, source) == ("ROUTED", "baked")
    assert imported == []  # nothing left for the caller's first call to import
