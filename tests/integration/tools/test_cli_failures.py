"""Every CLI failure is one line on stderr and a non-zero exit, never a traceback (issue 15).

Each test runs ``trunkline.cli.main`` in-process (one real subprocess checks what a shell sees). AWS is never
reached: credentials are fake or absent, the instance metadata service is off, and DynamoDB's endpoint is a closed
local port behind a dead proxy.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, SAMPLE_CONFIG
from trunkline.cli import main

DEAD = "http://127.0.0.1:9"  # the discard port: nothing listens, so a connection is refused at once
AWS_VARIABLES = (
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "TRUNKLINE_STORE_DIR",
)


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No AWS settings at all: no region, no credentials, no profile files, no metadata service."""
    for name in AWS_VARIABLES:
        # setenv first records the variable's state, so teardown also undoes what the CLI sets (--profile sets
        # AWS_PROFILE for the process); delenv of an absent variable alone would record nothing.
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for proxy in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(proxy, DEAD)  # belt and braces: anything bound for the internet goes nowhere
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    return monkeypatch


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], lambda_logs: Any, tmp_path: Path) -> Any:
    """``main(argv)`` → (exit code, stdout, stderr lines); the embedded store lives under tmp_path."""

    def go(*argv: str) -> tuple[int, str, list[str]]:
        capsys.readouterr()
        code = main(["--store-dir", str(tmp_path / "store"), *argv])
        out = capsys.readouterr()
        return code, out.out, out.err.splitlines()

    return go


def one_error(code: int, err: list[str], *needles: str) -> str:
    """The failure contract: exit ≠ 0, exactly one stderr line, no traceback, the line says what happened."""
    assert code != 0
    assert len(err) == 1, err
    line = err[0]
    assert line.startswith("trunkline: error: ")
    assert "Traceback" not in line
    for needle in needles:
        assert needle in line
    return line


# --- event files -----------------------------------------------------------------------------------------------


def test_a_missing_event_file(run: Any, tmp_path: Path) -> None:
    code, out, err = run("invoke", "route", "--event", str(tmp_path / "nope.json"))
    one_error(code, err, f"{tmp_path / 'nope.json'}: event file not found")
    assert out == ""


def test_an_event_file_that_is_not_json(run: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"Name": "ContactFlowEvent",', encoding="utf-8")
    code, _, err = run("invoke", "route", "--event", str(bad))
    one_error(code, err, f"{bad}: event file is not valid JSON", "line 1")


def test_a_metrics_file_naming_an_unknown_queue(run: Any, tmp_path: Path) -> None:
    run("publish", str(SAMPLE_CONFIG))
    metrics = tmp_path / "metrics.json"
    metrics.write_text(json.dumps({"no_such_queue": {"estimated_wait_time": 1}}), encoding="utf-8")
    event = tmp_path / "e.json"
    event.write_text("{}", encoding="utf-8")
    code, _, err = run("invoke", "route", "--event", str(event), "--metrics", str(metrics))
    one_error(code, err, "unknown queue 'no_such_queue'")


def test_a_time_without_an_offset(run: Any, tmp_path: Path) -> None:
    event = tmp_path / "e.json"
    event.write_text("{}", encoding="utf-8")
    code, _, err = run("invoke", "route", "--event", str(event), "--at", "2026-12-25T10:00")
    one_error(code, err, "--at", "UTC offset")


# --- AWS settings ----------------------------------------------------------------------------------------------


def test_no_region_anywhere(no_aws: pytest.MonkeyPatch, run: Any) -> None:
    code, _, err = run("--store", "aws", "--table", "t", "versions")
    one_error(code, err, "no AWS region", "AWS_REGION")


def test_aws_region_alone_is_enough_for_the_region(no_aws: pytest.MonkeyPatch, run: Any) -> None:
    """The README says to set AWS_REGION; botocore alone reads only AWS_DEFAULT_REGION. With AWS_REGION and no
    credentials the failure must be about credentials, not the region."""
    no_aws.setenv("AWS_REGION", "eu-west-1")
    code, _, err = run("--store", "aws", "--table", "t", "versions")
    one_error(code, err, "no AWS credentials")


def test_missing_credentials(no_aws: pytest.MonkeyPatch, run: Any) -> None:
    code, _, err = run("versions", "--store", "aws", "--table", "t", "--region", "us-east-2")
    one_error(code, err, "no AWS credentials", "AWS_PROFILE")


def test_an_unknown_profile(no_aws: pytest.MonkeyPatch, run: Any) -> None:
    code, _, err = run("versions", "--store", "aws", "--table", "t", "--region", "us-east-2", "--profile", "nope")
    one_error(code, err, "profile", "nope")


def test_the_store_unreachable(no_aws: pytest.MonkeyPatch, run: Any) -> None:
    """AWS_ENDPOINT_URL_DYNAMODB is honoured (as the AWS CLI does) and a dead endpoint is one line."""
    no_aws.setenv("AWS_REGION", "us-east-1")
    no_aws.setenv("AWS_ACCESS_KEY_ID", "testing")
    no_aws.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    no_aws.setenv("AWS_ENDPOINT_URL_DYNAMODB", DEAD)
    code, _, err = run("--store", "aws", "--table", "t", "versions")
    one_error(code, err, "store unreachable", "127.0.0.1:9")


def test_aws_store_without_a_table(run: Any) -> None:
    code, _, err = run("--store", "aws", "versions")
    one_error(code, err, "--table")


# --- config and store ------------------------------------------------------------------------------------------


def test_publishing_an_invalid_config(run: Any, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(SAMPLE_CONFIG, broken)
    (broken / "defaults.yaml").write_text("defaults: {default_queue: nope}\n", encoding="utf-8")
    code, out, err = run("publish", str(broken))
    one_error(code, err, "invalid config", "nothing published")
    assert "unknown queue 'nope'" in out  # the problems themselves are the output


def test_a_corrupt_embedded_store(run: Any, tmp_path: Path) -> None:
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "embedded-store.json").write_text("{not json", encoding="utf-8")
    code, _, err = run("versions")
    one_error(code, err, "embedded-store.json", "unreadable")


def test_rollback_with_nothing_published(run: Any) -> None:
    code, out, err = run("rollback", "--to", "v000001")
    one_error(code, err, "not rolled back: nothing is published yet")
    assert out == ""


def test_rollback_without_a_named_version_is_a_one_line_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["rollback"])
    err = capsys.readouterr().err.splitlines()
    assert exited.value.code == 2
    assert len(err) == 1
    assert "--to" in err[0]


def test_generate_into_a_non_empty_directory(run: Any, tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.yaml").write_text("", encoding="utf-8")
    code, _, err = run("generate", "--queues", "3", "--rules", "3", str(tmp_path / "full"))
    one_error(code, err, "not empty", "--force")


def test_events_new_for_an_unknown_entry_point(run: Any) -> None:
    code, _, err = run("events", "new", "--entry-point", "nope", "--config", str(SAMPLE_CONFIG))
    one_error(code, err, "unknown entry point 'nope'", "cards_main")


# --- the parser ------------------------------------------------------------------------------------------------


def test_a_usage_error_is_one_line_with_exit_2(run: Any, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["no-such-command"])
    err = capsys.readouterr().err.splitlines()
    assert exited.value.code == 2
    assert len(err) == 1
    assert err[0].startswith("trunkline: error: argument COMMAND: invalid choice: 'no-such-command'")


@pytest.mark.parametrize(
    "argv",
    [
        ["--store-dir", "{d}", "--actor", "a", "versions"],
        ["versions", "--store-dir", "{d}", "--actor", "a"],
        ["--actor", "a", "versions", "--store-dir", "{d}"],
    ],
)
def test_global_options_before_or_after_the_command(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str], lambda_logs: Any
) -> None:
    args = [a.replace("{d}", str(tmp_path / "here")) for a in argv]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"store: embedded, {tmp_path / 'here' / 'embedded-store.json'}"


def test_debug_lets_the_exception_through(tmp_path: Path, lambda_logs: Any) -> None:
    from trunkline.cli.errors import CliError

    with pytest.raises(CliError, match="event file not found"):
        main(["--debug", "invoke", "route", "--event", str(tmp_path / "nope.json")])


# --- where the embedded store is -------------------------------------------------------------------------------


def test_the_embedded_store_does_not_depend_on_the_current_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from trunkline.cli.stores import default_store_dir

    monkeypatch.delenv("TRUNKLINE_STORE_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert default_store_dir() == ROOT / ".trunkline"
    monkeypatch.setenv("TRUNKLINE_STORE_DIR", str(tmp_path / "elsewhere"))
    assert default_store_dir() == tmp_path / "elsewhere"


def test_store_dir_from_the_environment_is_what_versions_prints(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str], lambda_logs: Any
) -> None:
    monkeypatch.setenv("TRUNKLINE_STORE_DIR", str(tmp_path / "env-store"))
    monkeypatch.chdir(tmp_path)
    assert main(["versions"]) == 0
    assert (
        capsys.readouterr().out.splitlines()[0] == f"store: embedded, {tmp_path / 'env-store' / 'embedded-store.json'}"
    )


# --- what a shell sees -----------------------------------------------------------------------------------------


def test_a_real_process_prints_one_line_and_no_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "lambdas"), str(ROOT)])}
    proc = subprocess.run(
        [sys.executable, "-m", "trunkline", "invoke", "route", "--event", str(tmp_path / "missing.json")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [f"trunkline: error: {tmp_path / 'missing.json'}: event file not found"]


def test_profile_option_is_undone_for_the_next_test() -> None:
    """Guards the fixture above: ``--profile nope`` in an earlier test must not leak into this process's env."""
    assert os.environ.get("AWS_PROFILE") != "nope"
