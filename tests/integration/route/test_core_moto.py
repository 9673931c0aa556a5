"""The config store, publishing, the real route handler and the CLI on moto's DynamoDB."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

import route.handler as handler
from routing.config.cache import ConfigCache
from routing.config.loader import load_directory
from routing.config.publishing import PublishConflictError, RollbackError, publish_document, rollback
from routing.config.store import (
    DynamoConfigStore,
    PointerConflictError,
    VersionConflictError,
    VersionInfo,
    VersionUnavailableError,
)
from tests.conftest import shared
from trunkline.contacts import connect_event, sample_contacts
from trunkline.embedded import embedded_dynamodb

ROOT = Path(__file__).resolve().parents[3]
E164 = re.compile(r"\+\d{8,15}")


@pytest.fixture
def table() -> Iterator[str]:
    with embedded_dynamodb(None, table_name="trunkline-config-test") as name:
        yield name


@pytest.fixture
def store(table: str) -> DynamoConfigStore:
    return DynamoConfigStore(table, region="us-east-1")


@pytest.fixture(scope=shared("module"))
def sample() -> dict[str, Any]:
    doc = load_directory(ROOT / "config").document
    assert doc is not None
    return doc


@pytest.fixture
def live_handler(table: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("CONFIG_TABLE_NAME", table)
    monkeypatch.setenv("DEFAULT_QUEUE_ID", "deployment-default-queue")
    monkeypatch.setenv("CONFIG_REFRESH_SECONDS", "0")
    monkeypatch.setenv("CONFIG_RETRY_SECONDS", "0")
    monkeypatch.setenv("BAKED_CONFIG_PATH", str(tmp_path / "absent.json"))
    handler.set_service(None)
    yield
    handler.set_service(None)


def _changed(sample: dict[str, Any], greeting: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(json.dumps(sample))
    doc["queues"]["cards_general"]["attributes"]["greeting_prompt"] = greeting
    return doc


def test_publish_rollback_versions_audit(store: DynamoConfigStore, sample: dict[str, Any]) -> None:
    first = publish_document(store, sample, actor="alice", summary="initial")
    same = publish_document(store, sample, actor="bob", summary="again")
    second = publish_document(store, _changed(sample, "g2"), actor="bob", summary="greeting")
    assert (first.status, first.version_id) == ("PUBLISHED", "v000001")
    assert (same.status, same.version_id) == ("UNCHANGED", "v000001")
    assert (second.version_id, second.previous_version_id) == ("v000002", "v000001")
    back = rollback(store, actor="carol", to_version="v000001", reason="bad greeting")
    assert (back.status, back.version_id) == ("ROLLED_BACK", "v000001")
    pointer = store.get_pointer()
    assert pointer is not None
    assert (pointer.version_id, pointer.previous_version_id, pointer.updated_by) == ("v000001", "v000002", "carol")
    assert [v.version_id for v in store.list_versions()] == ["v000001", "v000002"]
    assert [(a.action, a.actor, a.to_version) for a in store.list_audit()] == [
        ("rollback", "carol", "v000001"),
        ("publish", "bob", "v000002"),
        ("publish", "alice", "v000001"),
    ]
    assert store.load_document("v000001") == sample


def test_rollback_without_previous_is_refused(store: DynamoConfigStore, sample: dict[str, Any]) -> None:
    with pytest.raises(RollbackError, match="nothing is published"):
        rollback(store, actor="x", to_version="v000001")
    publish_document(store, sample, actor="a", summary="s")
    with pytest.raises(RollbackError, match="name the version"):
        rollback(store, actor="x", to_version="")


def test_conditional_writes_refuse_concurrent_changes(store: DynamoConfigStore, sample: dict[str, Any]) -> None:
    publish_document(store, sample, actor="a", summary="s")
    with pytest.raises(PointerConflictError):
        store.flip_pointer("v000001", previous_version_id=None, expected_revision=None, actor="x", at="t")
    with pytest.raises(VersionConflictError):
        store.reserve_version(VersionInfo("v000001", "h", "x", "t", "", 1, 1))
    with pytest.raises(PublishConflictError):
        publish_document(store, _changed(sample, "g"), actor="late", summary="s", expected_revision=0)


def test_large_version_spans_chunks_and_loads_whole(store: DynamoConfigStore, monkeypatch: pytest.MonkeyPatch) -> None:
    import routing.config.store as cs
    from trunkline.generate import generate_config

    monkeypatch.setattr(cs, "CHUNK_BYTES", 50_000)
    big = generate_config(queues=600, rules=3000)
    result = publish_document(store, big, actor="gen", summary="big")
    info = store.get_version(result.version_id)
    assert info is not None
    assert info.chunk_count > 1
    assert store.load_document(result.version_id)["queues"].keys() == big["queues"].keys()


def test_partial_version_is_refused(store: DynamoConfigStore, sample: dict[str, Any]) -> None:
    from routing.common.models import ConfigItem

    big = {**sample}
    result = publish_document(store, big, actor="a", summary="s")
    ConfigItem(f"VERSION#{result.version_id}", "CHUNK#0000").delete()
    with pytest.raises(VersionUnavailableError):
        store.load_document(result.version_id)


def test_retention_sets_ttl_on_old_versions_only(store: DynamoConfigStore, sample: dict[str, Any]) -> None:
    from datetime import UTC, datetime, timedelta

    old = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(4):
        publish_document(store, _changed(sample, f"g{i}"), actor="a", summary=f"{i}", now=old + timedelta(days=i))
    publish_document(store, _changed(sample, "g9"), actor="a", summary="now", retention_days=30)
    versions = {v.version_id: v.expires_at for v in store.list_versions()}
    assert versions["v000005"] is None
    assert versions["v000004"] is None
    assert all(versions[v] is not None for v in ("v000001", "v000002", "v000003"))
    rollback(store, actor="ops", to_version="v000002")
    assert store.get_version("v000002").expires_at is None  # type: ignore[union-attr]


# --- the real handler -------------------------------------------------------------------------------------


def _route(event: dict[str, Any]) -> dict[str, str]:
    reply: dict[str, str] = handler.lambda_handler(event, None)
    return reply


def test_handler_routes_and_switches_versions_whole(
    live_handler: None, store: DynamoConfigStore, sample: dict[str, Any]
) -> None:
    publish_document(store, sample, actor="a", summary="s")
    event = connect_event(dialed="+18005550100", caller="+12125550187", attributes={"ivr_choice": "1"})
    first = _route(event)
    assert (first["config_version"], first["config_source"]) == ("v000001", "active")
    publish_document(store, _changed(sample, "new_greeting"), actor="b", summary="s")
    event = connect_event(dialed="+18005550100", caller="+12125550187", attributes={"ivr_choice": "9"})
    second = _route(event)
    assert second["config_version"] == "v000002"
    general = _route(connect_event(dialed="+18005550100", attributes={"ivr_choice": "5"}, caller="+12125550100"))
    if general["status"] == "ROUTED":
        assert general["greeting_prompt"] == "new_greeting"


def test_handler_contract_over_many_shapes(
    live_handler: None, store: DynamoConfigStore, sample: dict[str, Any]
) -> None:
    publish_document(store, sample, actor="a", summary="s")
    events = json.loads((ROOT / "tests/events/sample_contacts.json").read_text())
    events += [c.event() for c in sample_contacts(150, seed=9)]
    events += [{}, {"Details": None}, {"Details": {"ContactData": {"Channel": "EMAIL", "CustomerEndpoint": None}}}]
    for event in events:
        reply = _route(event)
        assert all(isinstance(v, str) for v in reply.values())
        assert reply["status"] in {"ROUTED", "CLOSED", "EMERGENCY", "DEFAULT", "ERROR_DEFAULT"}


def _boom(*_: Any, **__: Any) -> Any:
    raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, "GetItem")


def test_store_failures_degrade_to_last_known_good_then_baked_then_default(
    live_handler: None,
    store: DynamoConfigStore,
    sample: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    publish_document(store, sample, actor="a", summary="s")
    event = connect_event(dialed="+18005550200", caller="+12125550187")
    assert _route(event)["config_source"] == "active"
    # DynamoDB throttles: the version in memory keeps routing.
    monkeypatch.setattr(DynamoConfigStore, "get_pointer", _boom)
    lkg = _route(event)
    assert (lkg["config_source"], lkg["config_version"], lkg["status"]) == ("last_known_good", "v000001", "ROUTED")
    # A cold container while DynamoDB is unreachable: the baked version.
    baked = tmp_path / "baked.json"
    baked.write_text(json.dumps({"version": "baked-test", "document": sample}))
    monkeypatch.setenv("BAKED_CONFIG_PATH", str(baked))

    def unreachable(*_: Any, **__: Any) -> Any:
        raise EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")

    monkeypatch.setattr(DynamoConfigStore, "get_pointer", unreachable)
    handler.set_service(None)
    cold = _route(event)
    assert (cold["config_source"], cold["config_version"], cold["status"]) == ("baked", "baked-test", "ROUTED")
    # No baked version either: the deployment's default queue.
    monkeypatch.setenv("BAKED_CONFIG_PATH", str(tmp_path / "missing.json"))
    handler.set_service(None)
    last = _route(event)
    assert (last["status"], last["queue_id"], last["config_source"]) == (
        "ERROR_DEFAULT",
        "deployment-default-queue",
        "none",
    )


def test_corrupt_new_version_keeps_last_known_good(
    live_handler: None, store: DynamoConfigStore, sample: dict[str, Any]
) -> None:
    from routing.common.models import ConfigItem

    publish_document(store, sample, actor="a", summary="s")
    event = connect_event(dialed="+18005550200")
    assert _route(event)["config_version"] == "v000001"
    result = publish_document(store, _changed(sample, "x"), actor="b", summary="s")
    chunk = ConfigItem.get(f"VERSION#{result.version_id}", "CHUNK#0000")
    chunk.data = b"not zlib at all"
    chunk.save()
    reply = _route(event)
    assert (reply["config_version"], reply["config_source"]) == ("v000001", "last_known_good")


def test_unexpected_exception_answers_error_default(live_handler: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*_: Any, **__: Any) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setattr(ConfigCache, "current", explode)
    reply = _route(connect_event(dialed="+18005550100"))
    assert (reply["status"], reply["reason"], reply["queue_id"]) == (
        "ERROR_DEFAULT",
        "exception",
        "deployment-default-queue",
    )


def test_no_raw_phone_number_in_any_output(
    live_handler: None,
    store: DynamoConfigStore,
    sample: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    from routing.common.observability import logger

    stream = __import__("io").StringIO()
    extra = logging.StreamHandler(stream)
    logger.addHandler(extra)
    try:
        publish_document(store, sample, actor="a", summary="s")
        callers = [f"+1212555{n:04d}" for n in range(30)] + ["+447400123456"]
        for caller in callers:
            _route(connect_event(dialed="+18005550100", caller=caller, attributes={"ivr_choice": "3"}))
    finally:
        logger.removeHandler(extra)  # type: ignore[attr-defined]  # Powertools forwards it to its stdlib logger
    captured = capsys.readouterr()
    text = captured.out + captured.err + caplog.text + stream.getvalue()
    assert '"message":"decision"' in text.replace(" ", "") or "decision" in text
    leaked = [c for c in callers if c in text]
    assert leaked == []


# --- the CLI ----------------------------------------------------------------------------------------------


def test_cli_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from trunkline.cli import main

    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")  # restored afterwards: the CLI turns EMF off
    from routing.common.observability import logger

    # The CLI lowers the functions' log level to WARNING for its own output; restore INFO for later tests.
    level = logger.log_level

    state = ["--store-dir", str(tmp_path / "store")]
    assert main(["validate", str(ROOT / "config")]) == 0
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "d.yaml").write_text("defaults: {default_queue: q}\n")
    assert main(["validate", str(broken)]) == 1
    assert "unknown queue 'q'" in capsys.readouterr().out
    assert main([*state, "publish", str(ROOT / "config"), "-m", "first"]) == 0
    changed = tmp_path / "changed"
    import shutil

    shutil.copytree(ROOT / "config", changed)
    text = (changed / "queues.yaml").read_text().replace("cards_greeting,", "cards_greeting_v2,")
    (changed / "queues.yaml").write_text(text)
    assert main([*state, "publish", str(changed), "-m", "second", "--base", "v000001"]) == 0
    capsys.readouterr()
    assert main([*state, "diff", "v000001", "v000002"]) == 0
    out = capsys.readouterr().out
    assert "2 change(s)" in out
    assert "queues[cards_general].attributes.greeting_prompt" in out
    assert main([*state, "diff", "--dir", str(ROOT / "config")]) == 0
    assert "2 change(s)" in capsys.readouterr().out
    assert main([*state, "versions"]) == 0
    listing = capsys.readouterr().out
    assert re.search(r"v000002\s+ACTIVE", listing)
    assert re.search(r"v000001\s+previous", listing)
    assert main([*state, "rollback", "--to", "v000001", "--reason", "test"]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == "v000001"
    assert main([*state, "audit"]) == 0
    assert "rollback" in capsys.readouterr().out
    assert main([*state, "invoke", "route", "--event", str(ROOT / "tests/events/sample_contacts.json")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(json.loads((ROOT / "tests/events/sample_contacts.json").read_text()))
    assert all(json.loads(line)["config_version"] == "v000001" for line in lines)
    logger.setLevel(level)
