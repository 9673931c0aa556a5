"""``make demo`` end to end on a small run: the contacts' events, redelivered out of order, reach the real outcomes
handler, and the call log it leaves agrees with what happened to each simulated contact."""

from __future__ import annotations

from typing import Any

import pytest

from routing.outcomes.call_log import Outcome, tally
from trunkline.demo import simulate_with_outcomes

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run() -> Any:
    return simulate_with_outcomes(80, seed=5)


def test_every_contact_has_one_ended_call_log_that_matches_its_flow(run: Any) -> None:
    rows, _banner, outcomes = run
    logs = {log.contact_id: log for log in outcomes.logs}
    callbacks = [log for log in outcomes.logs if log.is_callback]
    assert len(logs) == len(rows) + len(callbacks)
    assert len(callbacks) == sum(1 for r in rows if r.result.callback is not None)
    for row in rows:
        log = logs[row.result.contact.contact_id]
        assert log.ended
        if row.result.transferred:
            assert log.outcome in (Outcome.ANSWERED, Outcome.ABANDONED), row.label
            assert log.queue_id == row.result.queue_arn.rsplit("/", 1)[-1]
        elif row.result.callback is not None:
            assert log.outcome is Outcome.CALLBACK_REQUESTED
        else:
            assert log.outcome is Outcome.ENDED_IN_FLOW
        if row.attrs.get("line_of_business") and row.attrs.get("route_status") not in (None, "FLOW_DEFAULT"):
            assert log.line_of_business == row.attrs["line_of_business"], row.label
    for log in callbacks:
        assert log.outcome in (Outcome.CALLBACK_REACHED, Outcome.CALLBACK_FAILED)  # the callback's record decides
        assert log.from_record
        assert log.line_of_business == logs[log.previous_contact_id].line_of_business
    assert outcomes.callbacks_released == len(callbacks)


def test_redeliveries_were_absorbed_and_the_summary_counts_each_contact_once(run: Any) -> None:
    _rows, _banner, outcomes = run
    assert outcomes.results.get("stale", 0) > 0  # duplicates and late events arrived and changed nothing
    assert sum(outcomes.results.values()) == outcomes.events
    totals = tally(outcomes.logs)
    counted = sum(sum(t.counts.values()) for t in totals.values())
    assert counted == len(outcomes.logs)


def test_every_contact_has_its_record_and_the_reconciliation_with_connect_agrees(run: Any) -> None:
    _rows, _banner, outcomes = run
    assert all(log.from_record for log in outcomes.logs)
    assert outcomes.records > len(outcomes.logs)  # updates and redeliveries were absorbed
    assert (outcomes.record_results or {}).get("failed", 0) == 0
    assert outcomes.reconciliation
    assert not [q for hour in outcomes.reconciliation for q in hour.drifting]
