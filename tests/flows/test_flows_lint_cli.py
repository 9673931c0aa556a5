"""``python -m trunkline flows lint``: one line per finding, exit code, policy auto/on/off, unreadable files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.flows.flow_scenarios import FLOWS_DIR, REPO
from tests.flows.known_findings import known_for
from trunkline.cli import build_parser

REAL = Path(__file__).parent / "fixtures" / "real"
RULES_ENGINE_QUEUE = REAL / "rules-engine_RulesEngineQueue.json"


def lint(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    """Run ``flows lint ARGV`` in-process; (exit code, stdout lines, stderr)."""
    args = build_parser().parse_args(["flows", "lint", *argv])
    code = int(args.func(args))
    out = capsys.readouterr()
    return code, out.out.splitlines(), out.err


def test_our_transfer_flow_passes_with_policy(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, err = lint(capsys, str(FLOWS_DIR / "transfer.json"))
    assert (code, lines) == (0, [])
    assert "0 error(s), 0 warning(s)" in err


def test_our_inbound_flow_reports_exactly_the_known_findings(capsys: pytest.CaptureFixture[str]) -> None:
    path = FLOWS_DIR / "inbound.json"
    code, lines, _ = lint(capsys, str(path))
    expected = {f.replace("inbound: ", f"{path}: ", 1) for f in known_for("inbound")}
    assert set(lines) == expected
    assert code == (1 if expected else 0)


def test_a_third_party_flow_gets_connect_rules_only_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, _ = lint(capsys, "--flow-type", "CONTACT_FLOW", str(RULES_ENGINE_QUEUE))
    assert code == 0  # warnings only: action types the simulator does not model
    assert lines
    assert all(": warning [connect] action Type" in line for line in lines), lines
    assert all(line.startswith(f"{RULES_ENGINE_QUEUE}: ") for line in lines)


def test_policy_on_applies_trunkline_rules_to_any_flow(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, _ = lint(capsys, "--policy", "on", str(RULES_ENGINE_QUEUE))
    assert code == 1
    assert any(": error [trunkline] MessageParticipant must handle NoMatchingError" in line for line in lines)


def test_policy_off_judges_our_flow_by_connect_rules_only(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # Given our transfer flow without the error branch Trunkline requires on its Lambda call
    document = json.loads((FLOWS_DIR / "transfer.json").read_text(encoding="utf-8"))
    invoke = next(a for a in document["Actions"] if a["Type"] == "InvokeLambdaFunction")
    invoke["Transitions"]["Errors"] = []
    path = tmp_path / "transfer.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    # Then auto (our flow: policy on) reports it, off does not
    assert lint(capsys, str(path))[0] == 1
    code, lines, _ = lint(capsys, "--policy", "off", str(path))
    assert code == 0, lines


def test_flow_type_from_the_option_or_our_metadata(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # Given our transfer flow declared as a customer queue flow, where queue transfers are not supported
    document = json.loads((FLOWS_DIR / "transfer.json").read_text(encoding="utf-8"))
    document["Metadata"]["trunkline"]["flowType"] = "CUSTOMER_QUEUE"
    path = tmp_path / "transfer.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    code, lines, _ = lint(capsys, str(path))
    assert code == 1
    assert any(
        ": TransferToQueue: error [connect] TransferContactToQueue is not supported in CUSTOMER_QUEUE" in line
        for line in lines
    )
    # and --flow-type wins over the metadata
    assert lint(capsys, "--flow-type", "QUEUE_TRANSFER", str(path))[0] == 0


def test_unreadable_and_non_json_files_are_one_line_each(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    code, lines, err = lint(capsys, str(missing), str(broken), str(FLOWS_DIR / "transfer.json"))
    assert code == 1
    assert len(lines) == 2
    assert lines[0].startswith(f"{missing}: -: error [file] cannot read it")
    assert lines[1].startswith(f"{broken}: -: error [file] not JSON")
    assert "3 file(s): 2 error(s)" in err


def test_python_dash_m_entry_point_exits_non_zero_on_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("[]", encoding="utf-8")
    env_path = f"{REPO / 'lambdas'}:{REPO}"
    result = subprocess.run(
        [sys.executable, "-m", "trunkline", "flows", "lint", str(broken)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout.strip() == f"{broken}: -: error [connect] document is not a JSON object"
    assert "Traceback" not in result.stderr
