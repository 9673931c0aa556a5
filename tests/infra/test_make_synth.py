"""`make synth` and `make cfn-lint` (issue 15): every template synth writes is linted, stage templates included.

A stand-in for `app.py` (``PY=``) writes the templates, so these run in seconds and never bundle assets.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}
# E3002: a property SNS topics do not have; cfn-lint reports it as an error.
BAD = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"NoSuchProperty": "x"}}}}

FAKE_APP = """
import json, os, pathlib, sys
out = pathlib.Path(os.environ["CDK_OUTDIR"])
for rel, body in json.loads(sys.argv[1]).items():
    (out / rel).parent.mkdir(parents=True, exist_ok=True)
    (out / rel).write_text(json.dumps(body))
"""

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _make(target: str, out: Path, templates: Mapping[str, object], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run ``make TARGET`` with ``app.py`` replaced by a script writing ``templates`` into ``out`` when it runs."""
    fake = tmp_path / "fake_app.py"
    fake.write_text(FAKE_APP)
    # The recipe runs `$(PY) app.py`: the fake takes the templates as its first argument and ignores `app.py`.
    py = f"{sys.executable} {fake} '{json.dumps(templates)}'"
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), target, f"PY={py}", f"CDK_OUTDIR={out}", "STAMP="],
        capture_output=True,
        text=True,
        check=False,
    )


def test_make_synth_lints_the_stage_templates_that_synth_itself_wrote(tmp_path: Path) -> None:
    """Given a fresh outdir, when synth writes a broken pipeline-stage template, then `make synth` fails on it
    (before the fix the file list was expanded before synth ran, so the stage templates were never linted)."""
    out = tmp_path / "cdk.out"
    templates = {"Trunkline-dev-pipeline.template.json": GOOD, "assembly-Stage/Stage-active.template.json": BAD}
    run = _make("synth", out, templates, tmp_path)
    assert run.returncode != 0, run.stdout + run.stderr
    assert "assembly-Stage/Stage-active.template.json" in run.stdout + run.stderr
    assert "E3002" in run.stdout


def test_make_cfn_lint_passes_clean_templates_and_counts_nested_ones(tmp_path: Path) -> None:
    out = tmp_path / "cdk.out"
    templates = {
        "A.template.json": GOOD,
        "ANested.nested.template.json": GOOD,
        "assembly-Stage/Stage-active.template.json": GOOD,
    }
    run = _make("synth", out, templates, tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"cfn-lint: 3 templates in {out}/" in run.stdout


def test_make_cfn_lint_without_templates_says_so(tmp_path: Path) -> None:
    run = _make("cfn-lint", tmp_path / "nothing-here", {}, tmp_path)
    assert run.returncode != 0
    assert "no templates" in run.stderr
