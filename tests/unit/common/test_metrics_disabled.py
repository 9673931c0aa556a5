"""``POWERTOOLS_METRICS_DISABLED`` must mean no EMF on stdout at all, however many invocations run.

Powertools 3.37 only checks the switch in ``flush_metrics``, which then neither prints nor *clears*: values pile
up across invocations and ``add_metric`` auto-publishes the set (a bare ``print``) at 100 values of one metric,
switch or not. That is how the demo wrote ~24 KB of EMF to stdout with metrics "off".
"""

from __future__ import annotations

import pytest


def _invocations(count: int) -> None:
    from routing.common.observability import metrics

    @metrics.log_metrics
    def handler(event: object, context: object) -> None:
        metrics.add_metric(name="Decisions", unit="Count", value=1)

    for _ in range(count):
        handler({}, None)


def test_disabled_metrics_print_nothing_even_after_100_invocations(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from routing.common.observability import metrics

    metrics.clear_metrics()
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    _invocations(250)
    assert '"_aws"' not in capsys.readouterr().out
    assert metrics.metric_set == {}  # nothing buffered for later either


def test_enabled_metrics_still_print_one_blob_per_invocation(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from routing.common.observability import metrics

    metrics.clear_metrics()
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    _invocations(3)
    blobs = [line for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    assert len(blobs) == 3


def test_switching_back_on_does_not_replay_what_was_added_while_off(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from routing.common.observability import metrics

    metrics.clear_metrics()
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    _invocations(5)
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    _invocations(1)
    blobs = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith('{"_aws"')]
    assert [b["Decisions"] for b in blobs] == [[1.0]]
