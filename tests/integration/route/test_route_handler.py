"""The real ``route.handler.lambda_handler`` end to end on moto: settings from the environment, the DynamoDB store,
the cache, the decision and the reply — and every way the store can fail."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import route.handler as handler
from routing.common.models import ConfigItem
from routing.config.publishing import publish_document
from routing.config.store import DynamoConfigStore
from tests.conftest import SAMPLE_EVENTS, assert_reply_contract, changed_copy
from tests.integration.conftest import throttled, unreachable
from trunkline.contacts import DR_INSTANCE_ARN, INSTANCE_ARN, connect_event, sample_contacts

TUESDAY_MORNING = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)  # every sample line but commercial is open
DEPLOY_DEFAULT = "deploy-default-queue"
CARDS_GENERAL: dict[str, Any] = {"dialed": "+18005550100", "caller": "+12125550187", "attributes": {"ivr_choice": "5"}}


class FrozenDatetime(datetime):
    """``datetime`` whose ``now`` is a fixed instant (decisions depend on opening hours and holidays)."""

    @classmethod
    def now(cls, tz: Any = None) -> FrozenDatetime:
        return TUESDAY_MORNING.astimezone(tz) if tz else TUESDAY_MORNING.replace(tzinfo=None)  # type: ignore[return-value]


@pytest.fixture
def route_env(config_table: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Environment as the CDK sets it (refresh every call, no baked file), and a fresh cold start."""
    import routing.route.service

    monkeypatch.setenv("CONFIG_TABLE_NAME", config_table)
    monkeypatch.setenv("DEFAULT_QUEUE_ID", DEPLOY_DEFAULT)
    monkeypatch.setenv("CONFIG_REFRESH_SECONDS", "0")
    monkeypatch.setenv("CONFIG_RETRY_SECONDS", "0")
    monkeypatch.setenv("BAKED_CONFIG_PATH", str(tmp_path / "absent.json"))
    for name in ("METRICS_TABLE_NAME", "CONNECT_INSTANCE_ARN", "CALLBACK_TABLE_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(routing.route.service, "datetime", FrozenDatetime)
    handler.set_service(None)
    yield {"store": DynamoConfigStore(config_table, region="us-east-1"), "tmp_path": tmp_path}
    handler.set_service(None)


def invoke(event: Any) -> dict[str, str]:
    return assert_reply_contract(handler.lambda_handler(event, None))


def cold_start() -> None:
    handler.set_service(None)


def write_baked(path: Path, document: dict[str, Any], version: str = "baked-cafe0001") -> Path:
    path.write_text(json.dumps({"version": version, "content_hash": "cafe0001", "document": document}))
    return path


# --- routing many shapes -------------------------------------------------------------------------------------


def test_the_handler_routes_the_sample_events(route_env: dict[str, Any], sample_document: dict[str, Any]) -> None:
    publish_document(route_env["store"], sample_document, actor="t", summary="s")
    events = json.loads(SAMPLE_EVENTS.read_text())
    replies = [invoke(e) for e in events]
    assert all((r["config_version"], r["config_source"]) == ("v000001", "active") for r in replies)
    assert all(r["status"] == "ROUTED" for r in replies)  # known lines, open on a Tuesday morning
    by_contact = {e["Details"]["ContactData"]["ContactId"]: r for e, r in zip(events, replies, strict=True)}
    first = by_contact["00000000-0000-4000-8000-000000000000"]  # cards, IVR 5
    assert (first["queue_key"], first["rule_id"], first["greeting_prompt"]) == (
        "cards_general",
        "cards:default",
        "cards_greeting",
    )
    assert first["queue_arn"] == f"{INSTANCE_ARN}/queue/{first['queue_id']}"
    late = by_contact["00000000-0000-4000-8000-000000000001"]  # collections, 95 days past due
    assert (late["queue_key"], late["mini_miranda"]) == ("collections_late", "true")


def test_the_handler_keeps_the_contract_for_many_event_shapes(
    route_env: dict[str, Any], sample_document: dict[str, Any]
) -> None:
    publish_document(route_env["store"], sample_document, actor="t", summary="s")
    events: list[Any] = [c.event() for c in sample_contacts(200, seed=21)]
    events += [c.event(instance_arn=DR_INSTANCE_ARN) for c in sample_contacts(20, seed=22)]
    events += [
        {},
        {"Details": None},
        {"Details": {"ContactData": {"Channel": "EMAIL", "CustomerEndpoint": None, "Queue": None}}},
        {"Details": {"ContactData": {"Channel": "TASK"}, "Parameters": {"entry_key": 5, "x": {"nested": True}}}},
        connect_event(channel="SMS", dialed="+18005550200"),
        connect_event(dialed="+18005550200", instance_arn=None),
    ]
    statuses = {invoke(e)["status"] for e in events}
    assert statuses == {"ROUTED", "DEFAULT", "EMERGENCY"}  # commercial's closure is on; no errors at all
    dr = invoke(connect_event(dialed="+18005550200", instance_arn=DR_INSTANCE_ARN))
    assert dr["queue_arn"].startswith(DR_INSTANCE_ARN + "/queue/")


# --- refresh: the handler switches versions whole -------------------------------------------------------------


def test_a_new_version_is_used_after_the_refresh_interval_and_never_mixed(
    route_env: dict[str, Any], sample_document: dict[str, Any]
) -> None:
    store = route_env["store"]
    seen: list[tuple[str, str]] = []
    for n in range(1, 6):
        publish_document(store, changed_copy(sample_document, f"greeting_{n}"), actor="t", summary=f"v{n}")
        for _ in range(3):
            reply = invoke(connect_event(**CARDS_GENERAL))
            seen.append((reply["config_version"], reply["greeting_prompt"]))
    # CONFIG_REFRESH_SECONDS=0: every call checks the pointer, so each publish is picked up by the next call …
    assert [v for v, _ in seen] == [f"v{n:06d}" for n in range(1, 6) for _ in range(3)]
    # … and every reply's attributes come from the version it names
    assert all(greeting == f"greeting_{int(version[1:])}" for version, greeting in seen)


def test_between_checks_the_handler_makes_no_dynamodb_call(
    route_env: dict[str, Any],
    sample_document: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    dynamodb_calls: dict[str, Any],
) -> None:
    monkeypatch.setenv("CONFIG_REFRESH_SECONDS", "3600")
    cold_start()
    publish_document(route_env["store"], sample_document, actor="t", summary="v1")
    dynamodb_calls["counts"].clear()
    first = invoke(connect_event(**CARDS_GENERAL))
    assert dynamodb_calls["counts"] == {"GetItem": 1, "Query": 1}  # the pointer, then the version's chunks
    publish_document(route_env["store"], changed_copy(sample_document, "v2"), actor="t", summary="v2")
    dynamodb_calls["counts"].clear()
    replies = [invoke(connect_event(**CARDS_GENERAL)) for _ in range(100)]
    assert dynamodb_calls["counts"] == {}  # zero DynamoDB calls per call inside the interval
    assert {r["config_version"] for r in replies} == {first["config_version"]} == {"v000001"}


# --- failures: last known good → baked → ERROR_DEFAULT ------------------------------------------------------------


@pytest.mark.parametrize("failure", [throttled, unreachable])
def test_a_store_outage_degrades_in_order(
    route_env: dict[str, Any],
    sample_document: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    dynamodb_calls: dict[str, Any],
    failure: Any,
) -> None:
    publish_document(route_env["store"], sample_document, actor="t", summary="s")
    assert invoke(connect_event(**CARDS_GENERAL))["config_source"] == "active"
    # DynamoDB fails: the version in memory keeps routing
    dynamodb_calls["fail"] = ({"GetItem", "Query"}, failure())
    lkg = invoke(connect_event(**CARDS_GENERAL))
    assert (lkg["status"], lkg["config_source"], lkg["config_version"], lkg["queue_key"]) == (
        "ROUTED",
        "last_known_good",
        "v000001",
        "cards_general",
    )
    # A new container while it still fails: the baked version
    monkeypatch.setenv("BAKED_CONFIG_PATH", str(write_baked(route_env["tmp_path"] / "baked.json", sample_document)))
    cold_start()
    baked = invoke(connect_event(**CARDS_GENERAL))
    assert (baked["status"], baked["config_source"], baked["config_version"], baked["queue_key"]) == (
        "ROUTED",
        "baked",
        "baked-cafe0001",
        "cards_general",
    )
    # No baked version either: the deployment's default queue
    monkeypatch.setenv("BAKED_CONFIG_PATH", str(route_env["tmp_path"] / "missing.json"))
    cold_start()
    none = invoke(connect_event(**CARDS_GENERAL))
    assert (none["status"], none["reason"], none["config_source"], none["queue_id"]) == (
        "ERROR_DEFAULT",
        "no_config",
        "none",
        DEPLOY_DEFAULT,
    )
    assert none["queue_arn"] == f"{INSTANCE_ARN}/queue/{DEPLOY_DEFAULT}"
    # DynamoDB is back: the next check loads the active version
    dynamodb_calls["fail"] = None
    back = invoke(connect_event(**CARDS_GENERAL))
    assert (back["config_source"], back["config_version"]) == ("active", "v000001")


def test_a_missing_table_serves_the_baked_version_then_the_default(
    route_env: dict[str, Any], sample_document: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONFIG_TABLE_NAME", "no-such-table")
    monkeypatch.setenv("BAKED_CONFIG_PATH", str(write_baked(route_env["tmp_path"] / "baked.json", sample_document)))
    cold_start()
    assert invoke(connect_event(**CARDS_GENERAL))["config_source"] == "baked"
    monkeypatch.setenv("BAKED_CONFIG_PATH", str(route_env["tmp_path"] / "missing.json"))
    cold_start()
    reply = invoke(connect_event(**CARDS_GENERAL))
    assert (reply["status"], reply["queue_id"]) == ("ERROR_DEFAULT", DEPLOY_DEFAULT)


def test_nothing_published_yet_serves_the_baked_version(
    route_env: dict[str, Any], sample_document: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BAKED_CONFIG_PATH", str(write_baked(route_env["tmp_path"] / "baked.json", sample_document)))
    cold_start()
    assert invoke(connect_event(**CARDS_GENERAL))["config_source"] == "baked"
    publish_document(route_env["store"], sample_document, actor="t", summary="first")
    assert invoke(connect_event(**CARDS_GENERAL))["config_source"] == "active"


def test_broken_settings_still_answer(route_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    import routing.common.settings

    monkeypatch.setenv("CONFIG_REFRESH_SECONDS", "soon")
    monkeypatch.setattr(routing.common.settings, "BAKED_CONFIG_DEFAULT", route_env["tmp_path"] / "none.json")
    cold_start()
    reply = invoke(connect_event(**CARDS_GENERAL))
    assert (reply["status"], reply["config_source"]) == ("ERROR_DEFAULT", "none")


def test_an_unexpected_exception_answers_error_default(
    route_env: dict[str, Any], sample_document: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import routing.route.service

    def explode(*_: Any, **__: Any) -> Any:
        raise RuntimeError("a bug in the decision")

    monkeypatch.setattr(routing.route.service, "decide", explode)
    publish_document(route_env["store"], sample_document, actor="t", summary="s")
    reply = invoke(connect_event(**CARDS_GENERAL))
    assert (reply["status"], reply["reason"], reply["queue_id"], reply["config_source"]) == (
        "ERROR_DEFAULT",
        "exception",
        DEPLOY_DEFAULT,
        "none",
    )


# --- bad versions never reach a decision ---------------------------------------------------------------------


def test_a_corrupt_new_version_keeps_the_last_known_good(
    route_env: dict[str, Any], sample_document: dict[str, Any]
) -> None:
    store = route_env["store"]
    publish_document(store, sample_document, actor="t", summary="v1")
    assert invoke(connect_event(**CARDS_GENERAL))["config_version"] == "v000001"
    result = publish_document(store, changed_copy(sample_document, "v2"), actor="t", summary="v2")
    chunk = ConfigItem.get(f"VERSION#{result.version_id}", "CHUNK#0000")
    chunk.data = b"not zlib at all"
    chunk.save()
    for _ in range(3):
        reply = invoke(connect_event(**CARDS_GENERAL))
        assert (reply["config_version"], reply["config_source"], reply["greeting_prompt"]) == (
            "v000001",
            "last_known_good",
            "cards_greeting",
        )


def test_a_partially_replicated_version_is_used_only_once_complete(
    route_env: dict[str, Any], sample_document: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import routing.config.store as config_store
    from routing.config.store import encode_document

    store = route_env["store"]
    publish_document(store, sample_document, actor="t", summary="v1")
    invoke(connect_event(**CARDS_GENERAL))
    monkeypatch.setattr(config_store, "CHUNK_BYTES", len(encode_document(sample_document)[1][0]) // 2 + 1)
    result = publish_document(store, changed_copy(sample_document, "v2"), actor="t", summary="v2")
    # The second chunk has not arrived on this replica yet
    late = ConfigItem.get(f"VERSION#{result.version_id}", "CHUNK#0001")
    late.delete()
    reply = invoke(connect_event(**CARDS_GENERAL))
    assert (reply["config_version"], reply["config_source"], reply["greeting_prompt"]) == (
        "v000001",
        "last_known_good",
        "cards_greeting",
    )
    late.save()  # it arrives
    reply = invoke(connect_event(**CARDS_GENERAL))
    assert (reply["config_version"], reply["config_source"], reply["greeting_prompt"]) == ("v000002", "active", "v2")


# --- logs ----------------------------------------------------------------------------------------------------


def test_no_raw_caller_number_in_anything_the_handler_prints(
    route_env: dict[str, Any],
    sample_document: dict[str, Any],
    lambda_logs: Any,
    capsys: pytest.CaptureFixture[str],
    dynamodb_calls: dict[str, Any],
) -> None:
    publish_document(route_env["store"], sample_document, actor="t", summary="s")
    callers = [f"+1212555{n:04d}" for n in range(20)] + ["+447400123456", "+33612345678"]
    for caller in callers:
        invoke(connect_event(dialed="+18005550100", caller=caller, attributes={"ivr_choice": "3"}))
    dynamodb_calls["fail"] = ({"GetItem"}, throttled())  # a warning path too
    for caller in callers[:3]:
        invoke(connect_event(dialed="+18005550200", caller=caller))
    captured = capsys.readouterr()
    text = lambda_logs.getvalue() + captured.out + captured.err
    assert text.count('"message":"decision"') == len(callers) + 3
    leaked = [c for c in callers if c in text or c[1:] in re.sub(r"[^\d+]", "", text)]
    assert leaked == []
