"""``make demo`` prints its report and nothing else on stdout: no EMF metric blobs, no log lines (issue 15).

The demo switches metrics off, but Powertools 3.37 still auto-published a blob every 100 values of a metric
(``routing.common.observability``); 80 contacts make well over 100 route, callback and outcomes invocations.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.slow


def test_the_demo_report_is_all_that_reaches_stdout(capsys: pytest.CaptureFixture[str], lambda_logs: Any) -> None:
    from trunkline.demo import run_demo

    capsys.readouterr()
    assert run_demo(contacts=80, seed=5) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert not [line for line in lines if '"_aws"' in line]
    assert not [line for line in lines if line.startswith("{")]  # no JSON at all: no log line either
    assert lines[0].startswith("published v000001 ")
    assert any(line.startswith("80 contacts — route status: ") for line in lines)
    assert "Traceback" not in captured.err
