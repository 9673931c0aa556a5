"""The ``trunkline`` CLI on its embedded store (moto, state kept in a file under tmp_path)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SAMPLE_CONFIG, SAMPLE_EVENTS, assert_reply_contract
from trunkline.cli import main


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], lambda_logs: Any) -> Any:
    """Run ``trunkline --store-dir <tmp> …`` and return (exit code, stdout, stderr).

    The CLI quiets the Lambda logger and switches EMF off for its own output; ``lambda_logs`` and monkeypatch put
    both back afterwards so later tests see the logger as Lambda runs it.
    """
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    state = tmp_path / "state"

    def run(*args: str, state_file: Path | None = state) -> tuple[int, str, str]:
        capsys.readouterr()
        argv = ["--store-dir", str(state_file), "--actor", "tester", *args] if state_file else list(args)
        code = main(argv)
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


@pytest.fixture
def changed_config(tmp_path: Path) -> Path:
    """A copy of config/ with one greeting changed."""
    target = tmp_path / "changed"
    shutil.copytree(SAMPLE_CONFIG, target)
    queues = target / "queues.yaml"
    queues.write_text(
        queues.read_text().replace(
            "{greeting_prompt: cards_greeting, hold_music", "{greeting_prompt: cards_greeting_v2, hold_music"
        )
    )
    return target


# --- validate ------------------------------------------------------------------------------------------------


def test_validate_the_sample_config(cli: Any) -> None:
    code, out, _ = cli("validate", str(SAMPLE_CONFIG), state_file=None)
    assert code == 0
    assert re.match(r"OK: \d+ files, 23 queues, 11 entry points, 23 rules", out)


def test_validate_a_broken_config_lists_every_problem(cli: Any, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(SAMPLE_CONFIG, broken)
    (broken / "defaults.yaml").write_text("defaults: {default_queue: nope, time_zone: Mars/Olympus}\n")
    (broken / "extra.yaml").write_text("queue: []\n")
    code, out, err = cli("validate", str(broken), state_file=None)
    assert code == 1
    lines = [line for line in out.strip().splitlines() if not line.startswith("warning: ")]
    zone = "defaults.yaml:1:33: defaults.time_zone: unknown time zone 'Mars/Olympus'"
    assert any(zone in line for line in lines), lines
    assert any("extra.yaml:1:1: queue: unknown section (did you mean 'queues'?)" in line for line in lines), lines
    assert f"{len(lines)} problem(s): nothing can be published" in err


def test_validate_a_missing_directory(cli: Any, tmp_path: Path) -> None:
    code, out, _ = cli("validate", str(tmp_path / "nope"), state_file=None)
    assert code == 1
    assert "config directory not found" in out


# --- publish, versions, diff, rollback, audit ----------------------------------------------------------------


def test_publish_then_everything_else_across_separate_runs(cli: Any, changed_config: Path, tmp_path: Path) -> None:
    # Each command is a separate run: the state file carries the table between them (as two processes would).
    code, out, _ = cli("publish", str(SAMPLE_CONFIG), "-m", "first")
    first = json.loads(out)
    assert code == 0
    assert (first["status"], first["version"], first["previous"]) == ("PUBLISHED", "v000001", None)
    assert (tmp_path / "state" / "embedded-store.json").is_file()

    code, out, _ = cli("publish", str(SAMPLE_CONFIG), "-m", "again", "--base", "v000001")
    assert (code, json.loads(out)["status"], json.loads(out)["version"]) == (0, "UNCHANGED", "v000001")

    code, out, _ = cli("publish", str(changed_config), "-m", "greeting v2", "--base", "v000001")
    second = json.loads(out)
    assert (second["status"], second["version"], second["previous"]) == ("PUBLISHED", "v000002", "v000001")
    assert second["content_hash"] != first["content_hash"]

    code, out, _ = cli("versions")
    assert code == 0
    assert re.search(r"^v000002\s+ACTIVE\s.*tester.*greeting v2$", out, re.M)
    assert re.search(r"^v000001\s+previous\s.*tester.*first$", out, re.M)

    code, out, _ = cli("diff", "v000001", "v000002")
    assert code == 0
    assert out.splitlines()[0] == "v000001 -> v000002: 1 change(s)"
    assert (
        out.splitlines()[1]
        == '~ queues[cards_general].attributes.greeting_prompt: "cards_greeting" -> "cards_greeting_v2"'
    )

    code, out, _ = cli("diff", "--dir", str(SAMPLE_CONFIG))
    assert code == 0
    assert out.splitlines()[0] == f"v000002 -> {SAMPLE_CONFIG}: 1 change(s)"
    assert '-> "cards_greeting"' in out

    code, out, _ = cli("rollback", "--to", "v000001", "--reason", "wrong greeting")
    assert (code, json.loads(out)) == (0, {"status": "ROLLED_BACK", "version": "v000001", "previous": "v000002"})

    code, out, _ = cli("rollback", "--to", "v000002")
    assert (code, json.loads(out)["version"]) == (0, "v000002")

    code, out, _ = cli("audit")
    actions = [line.split()[1:6] for line in out.strip().splitlines()]
    assert actions == [  # --actor is free text: the record says so
        ["rollback", "tester", "(unverified)", "v000001", "->"],
        ["rollback", "tester", "(unverified)", "v000002", "->"],
        ["publish", "tester", "(unverified)", "v000001", "->"],
        ["publish", "tester", "(unverified)", "-", "->"],
    ]
    assert "wrong greeting" in out.splitlines()[1]

    code, out, _ = cli("audit", "--limit", "1")
    assert len(out.strip().splitlines()) == 1


def test_publish_refuses_an_invalid_config(cli: Any, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "defaults.yaml").write_text("defaults: {default_queue: nope}\n")
    code, out, err = cli("publish", str(broken))
    assert code == 1
    assert "unknown queue 'nope'" in out
    assert "nothing published" in err
    code, out, _ = cli("versions")
    assert "(nothing published yet)" in out


def test_rollback_with_nothing_published(cli: Any) -> None:
    code, out, err = cli("rollback", "--to", "v000001")
    assert (code, out) == (1, "")
    assert "not rolled back: nothing is published yet" in err


def test_diff_needs_two_versions_or_a_directory(cli: Any) -> None:
    cli("publish", str(SAMPLE_CONFIG))
    code, _, err = cli("diff", "v000001")
    assert code == 2
    assert "diff takes two versions, or --dir DIR" in err


def test_diff_against_an_invalid_directory(cli: Any, tmp_path: Path) -> None:
    cli("publish", str(SAMPLE_CONFIG))
    code, out, _ = cli("diff", "--dir", str(tmp_path / "missing"))
    assert code == 1
    assert "config directory not found" in out


# --- invoke --------------------------------------------------------------------------------------------------


def test_invoke_route_prints_one_json_reply_per_event(cli: Any) -> None:
    cli("publish", str(SAMPLE_CONFIG))
    events = json.loads(SAMPLE_EVENTS.read_text())
    code, out, _ = cli("invoke", "route", "--event", str(SAMPLE_EVENTS), "--default-queue-id", "dq")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == len(events)  # nothing else on stdout: no log lines, no EMF
    replies = [assert_reply_contract(json.loads(line)) for line in lines]
    assert {r["config_version"] for r in replies} == {"v000001"}
    assert [r["queue_arn"].split("/queue/")[0] for r in replies] == [
        e["Details"]["ContactData"]["InstanceARN"] for e in events
    ]


def test_invoke_route_on_several_files_and_a_single_event(cli: Any, tmp_path: Path) -> None:
    from trunkline.contacts import connect_event

    single = tmp_path / "one.json"
    single.write_text(json.dumps(connect_event(dialed="+18885550000")))
    cli("publish", str(SAMPLE_CONFIG))
    code, out, _ = cli("invoke", "route", "--event", str(single), str(SAMPLE_EVENTS))
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert len(lines) == 1 + len(json.loads(SAMPLE_EVENTS.read_text()))
    assert (lines[0]["status"], lines[0]["reason"]) == ("DEFAULT", "unknown_entry_point")


def test_invoke_route_before_any_publish_answers_error_default(cli: Any) -> None:
    code, out, _ = cli("invoke", "route", "--event", str(SAMPLE_EVENTS), "--default-queue-id", "dq-9")
    replies = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert len(replies) == len(json.loads(SAMPLE_EVENTS.read_text()))
    assert {(r["status"], r["reason"], r["queue_id"]) for r in replies} == {("ERROR_DEFAULT", "no_config", "dq-9")}


def test_publish_from_a_stale_base_is_refused(cli: Any, changed_config: Path) -> None:
    assert cli("publish", str(SAMPLE_CONFIG), "-m", "first")[0] == 0
    assert cli("publish", str(changed_config), "-m", "v2", "--base", "v000001")[0] == 0
    # a colleague's files started from v000001 (or they did not say): refused, nothing published
    code, _, err = cli("publish", str(SAMPLE_CONFIG), "-m", "stale", "--base", "v000001")
    assert code == 1
    assert "the active version is v000002, not v000001" in err
    code, _, err = cli("publish", str(SAMPLE_CONFIG), "-m", "no base")
    assert code == 1
    assert "not (none)" in err
    code, out, _ = cli("versions")
    assert re.search(r"^v000002\s+ACTIVE", out, re.M)


def test_an_engineering_owned_change_needs_force(cli: Any, tmp_path: Path) -> None:
    import shutil

    assert cli("publish", str(SAMPLE_CONFIG), "-m", "first")[0] == 0
    structural = tmp_path / "structural"
    shutil.copytree(SAMPLE_CONFIG, structural)
    queues = structural / "queues.yaml"
    queues.write_text(queues.read_text().replace("sla_seconds: 20,", "sla_seconds: 25,", 1))
    code, _, err = cli("publish", str(structural), "-m", "sla", "--base", "v000001")
    assert code == 1
    assert "engineering-owned" in err
    code, out, _ = cli("publish", str(structural), "-m", "sla", "--base", "v000001", "--force")
    assert (code, json.loads(out)["version"]) == (0, "v000002")
    assert "FORCED: 1 engineering-owned change(s)" in cli("audit", "--limit", "1")[1]


def test_rollback_needs_a_named_version(cli: Any) -> None:
    assert cli("publish", str(SAMPLE_CONFIG), "-m", "first")[0] == 0
    with pytest.raises(SystemExit) as raised:
        cli("rollback", "--reason", "toggle")
    assert raised.value.code == 2
