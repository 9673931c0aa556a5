"""The scenario set must take every reachable (action, branch) edge of every flow: a new branch needs a test."""

from __future__ import annotations

from tests.flows.flow_scenarios import all_scenarios, flows, run
from trunkline.simulator import reachable_edges


def test_scenarios_cover_every_reachable_edge_of_every_flow() -> None:
    # Given every flow's reachable edges
    expected = set().union(*(reachable_edges(flow) for flow in flows().values()))
    # When every scenario runs
    taken: set[tuple[str, str, str]] = set()
    for scenario in all_scenarios():
        result, _ = run(scenario)
        taken |= result.edges
    # Then no edge is left untested, and no scenario took an edge the static graph does not know
    missing = sorted(expected - taken)
    assert not missing, "edges without a scenario:\n" + "\n".join(map(str, missing))
    assert taken <= expected, sorted(taken - expected)


def test_every_flow_has_scenarios() -> None:
    started = {s.flow for s in all_scenarios()}
    assert started == set(flows())
