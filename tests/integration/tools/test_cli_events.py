"""``events new``, ``invoke route --at/--metrics`` and ``generate``: provable from a shell (docs/events.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, SAMPLE_CONFIG, assert_reply_contract
from trunkline.cli import main

EVENTS_DOC = ROOT / "docs" / "events.md"


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], lambda_logs: Any) -> Any:
    """``main`` on an embedded store under tmp_path → (exit code, stdout); ``run.err`` keeps the last stderr."""

    def run(*argv: str) -> tuple[int, str]:
        capsys.readouterr()
        code = main(["--store-dir", str(tmp_path / "store"), *argv])
        out = capsys.readouterr()
        run.err = out.err  # type: ignore[attr-defined]
        return code, out.out

    return run


@pytest.fixture
def published(cli: Any) -> Any:
    assert cli("publish", str(SAMPLE_CONFIG))[0] == 0
    return cli


def event_file(cli: Any, tmp_path: Path, *argv: str) -> Path:
    path = tmp_path / f"event-{len(list(tmp_path.glob('event-*')))}.json"
    code, _ = cli("events", "new", "--config", str(SAMPLE_CONFIG), *argv, "-o", str(path))
    assert code == 0
    return path


def route(cli: Any, event: Path, *argv: str) -> dict[str, str]:
    code, out = cli("invoke", "route", "--event", str(event), *argv)
    assert code == 0
    (line,) = out.splitlines()
    return assert_reply_contract(json.loads(line))


# --- events new ------------------------------------------------------------------------------------------------


def test_the_voice_event_is_what_the_route_parser_reads(cli: Any, tmp_path: Path) -> None:
    from routing.common.contact import ContactRequest

    path = event_file(cli, tmp_path, "--entry-point", "cards_main", "--caller", "+12125550123", "--attr", "a=b=c")
    contact = ContactRequest.from_event(json.loads(path.read_text()))
    assert (contact.channel, contact.dialed_number, contact.customer_number) == (
        "VOICE",
        "+18005550100",
        "+12125550123",
    )
    assert contact.attributes == {"a": "b=c"}
    assert contact.parameters == {"trunkline_flow": "inbound"}


def test_a_chat_event_carries_its_entry_key_as_the_flow_passes_it(cli: Any, tmp_path: Path) -> None:
    from routing.common.contact import ContactRequest

    path = event_file(cli, tmp_path, "--entry-point", "cards_chat_web", "--caller", "+12125550123")
    contact = ContactRequest.from_event(json.loads(path.read_text()))
    assert (contact.channel, contact.dialed_number, contact.customer_number) == ("CHAT", "", "")
    assert contact.attributes["entry_key"] == contact.parameters["entry_key"] == "cards_web_chat"


def test_a_channel_the_entry_point_does_not_have_is_refused(cli: Any) -> None:
    code, _ = cli("events", "new", "--config", str(SAMPLE_CONFIG), "--entry-point", "cards_main", "--channel", "CHAT")
    assert code == 1
    assert "is a VOICE entry point, not CHAT" in cli.err


def test_the_example_in_docs_events_is_what_the_command_writes(cli: Any) -> None:
    text = EVENTS_DOC.read_text(encoding="utf-8")
    command = re.search(r"python -m trunkline (events new [^\n]*) -o call.json", text)
    example = re.search(r"```json\n(\{\n  \"Name\": \"ContactFlowEvent\".*?)```", text, re.S)
    assert command
    assert example
    contact_id = "0f8e1a52-2b7c-4d5e-9a31-6c2d8e4f7b10"
    argv = [*command.group(1).split(), "--config", str(SAMPLE_CONFIG), "--contact-id", contact_id]
    code, out = cli(*argv)
    assert code == 0
    assert json.loads(out) == json.loads(example.group(1))


# --- invoke route --at -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "status", "reason"),
    [
        ("2026-12-01T15:00:00Z", "ROUTED", "ruleset_default"),  # Tuesday 10:00 Eastern
        ("2026-12-01T10:00:00-05:00", "ROUTED", "ruleset_default"),  # the same instant, written with its offset
        ("2026-12-01T03:00:00Z", "CLOSED", "closed:cards_hours"),  # Monday 22:00 Eastern
        ("2026-12-25T15:00:00Z", "CLOSED", "closed:cards_hours"),  # Christmas Day, a full-day holiday
        ("2026-12-24T15:00:00Z", "ROUTED", "ruleset_default"),  # Christmas Eve, 10:00 within its 08:00-13:00
        ("2026-12-24T19:00:00Z", "CLOSED", "closed:cards_hours"),  # Christmas Eve, 14:00: closed early
    ],
)
def test_hours_and_holidays_at_a_chosen_time(published: Any, tmp_path: Path, at: str, status: str, reason: str) -> None:
    event = event_file(published, tmp_path, "--entry-point", "cards_main", "--caller", "+12125550123")
    reply = route(published, event, "--at", at)
    assert (reply["status"], reply["reason"]) == (status, reason)


# --- invoke route --metrics ------------------------------------------------------------------------------------


def test_metrics_drive_the_fallback_and_the_callback_offer(published: Any, tmp_path: Path) -> None:
    event = event_file(
        published, tmp_path, "--entry-point", "cards_main", "--caller", "+12125550123", "--attr", "ivr_choice=1"
    )
    at = ("--at", "2026-12-01T15:00:00Z")
    unknown = route(published, event, *at)
    assert (unknown["queue_key"], unknown["fallback_reason"], unknown["callback_offer"]) == (
        "cards_lost_stolen",
        "",
        "false",
    )

    load = tmp_path / "load.json"
    load.write_text(
        json.dumps(
            {
                "cards_general": {"estimated_wait_time": 900, "contacts_in_queue": 40},
                "cards_lost_stolen": {"agents_staffed": 0, "agents_available": 0},
            }
        )
    )
    loaded = route(published, event, *at, "--metrics", str(load))
    assert (loaded["queue_key"], loaded["fallback_reason"], loaded["callback_offer"]) == (
        "cards_general",
        "unstaffed:cards_lost_stolen",
        "true",
    )
    assert loaded["metrics_age_s"] == "0"


def test_per_channel_metrics_apply_to_their_channel_only(published: Any, tmp_path: Path) -> None:
    event = event_file(
        published, tmp_path, "--entry-point", "cards_main", "--caller", "+12125550123", "--attr", "ivr_choice=1"
    )
    load = tmp_path / "load.json"
    load.write_text(json.dumps({"cards_lost_stolen": {"CHAT": {"agents_staffed": 0}}}))
    reply = route(published, event, "--at", "2026-12-01T15:00:00Z", "--metrics", str(load))
    assert (reply["queue_key"], reply["fallback_reason"]) == ("cards_lost_stolen", "")  # a voice call: unknown


def test_an_unknown_metric_name_is_refused(published: Any, tmp_path: Path) -> None:
    event = event_file(published, tmp_path, "--entry-point", "cards_main")
    load = tmp_path / "load.json"
    load.write_text(json.dumps({"cards_general": {"wait": 1}}))
    code, _ = published("invoke", "route", "--event", str(event), "--metrics", str(load))
    assert code == 1
    assert "unknown metric 'wait'" in published.err


# --- generate --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("queues", "rules"), [(1, 0), (7, 25), (60, 400)])
def test_generate_writes_a_config_the_loader_accepts(cli: Any, tmp_path: Path, queues: int, rules: int) -> None:
    from routing.config.loader import load_directory

    target = tmp_path / "centre"
    code, out = cli("generate", "--queues", str(queues), "--rules", str(rules), str(target))
    assert code == 0
    result = load_directory(target)
    assert result.ok, [str(i) for i in result.issues][:5]
    assert result.document is not None
    assert len(result.document["queues"]) == queues
    assert sum(len(r["rules"]) for r in result.document["rulesets"].values()) == rules
    assert f"{queues} queues" in out
    assert cli("validate", str(target))[0] == 0
