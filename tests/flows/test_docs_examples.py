"""The Python examples in docs/flows.md run as written (from the project root), in the order they appear."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FLOWS_DOC = ROOT / "docs" / "flows.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, re.S)


def test_the_simulator_and_contact_event_examples_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], lambda_logs: Any
) -> None:
    import route.handler

    blocks = python_blocks(FLOWS_DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 2  # the simulator, then the contact events (which use its `result`)
    monkeypatch.chdir(ROOT)  # "from the project root"
    namespace: dict[str, Any] = {"__name__": "docs_example"}
    try:
        for block in blocks:
            exec(compile(block, str(FLOWS_DOC), "exec"), namespace)
    finally:
        route.handler.set_service(None)
    assert namespace["result"].transferred
    assert namespace["delivered"]
    assert "InvokeRoute" in capsys.readouterr().out
