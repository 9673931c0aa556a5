"""``lint_flow``: checks a flow-language document against Connect's rules and, optionally, Trunkline's policy.

Connect's rules live in ``lint_connect`` (judge anyone's flow by these), Trunkline's in ``lint_policy``; every
finding says which (``FlowIssue.source``) and how bad (``severity``). An action type the simulator does not model
is a warning: its transitions are still checked and followed, and it may end the contact, so it never causes
"unreachable" or "never ends" findings downstream. Also here: the graph of reachable (action, branch) edges.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Mapping
from typing import Any

from trunkline.simulator import lint_connect, lint_policy
from trunkline.simulator.actions import ACTION_SPECS, declared_branches, transition_list
from trunkline.simulator.findings import Findings, FlowIssue
from trunkline.simulator.flow import Flow
from trunkline.simulator.lint_shapes import FLOW_LANGUAGE_VERSION, MAX_ACTIONS, transitions_of

__all__ = ["FLOW_LANGUAGE_VERSION", "MAX_ACTIONS", "FlowIssue", "lint_flow", "reachable_edges"]


def lint_flow(
    document: Any,
    *,
    name: str = "flow",
    flow_type: str | None = None,
    policy: bool = True,
    known_tokens: Collection[str] | None = None,
    max_invoke_timeout_seconds: int = 8,
) -> list[FlowIssue]:
    """Every finding in ``document`` (an empty list: the flow passes both rule sets).

    ``flow_type`` (a CfnContactFlow Type): also report action types Connect does not support in it. ``policy``:
    add Trunkline's policy checks; ``known_tokens`` (policy) reports any ``%Token%`` not in it;
    ``max_invoke_timeout_seconds`` (policy) is Trunkline's Lambda timeout budget (Connect allows 8; our flows 3).
    """
    out = Findings(name)
    if not isinstance(document, Mapping):
        out.connect("", "document is not a JSON object")
        return out.issues
    by_id = lint_connect.check_document(document, out)
    if by_id is None:
        return out.issues
    for identifier, action in by_id.items():
        lint_connect.check_action(identifier, action, by_id, flow_type, out)
        if policy:
            lint_policy.check_action(identifier, action, max_invoke_timeout_seconds, out)
    if policy:
        lint_policy.check_tag_budget(by_id, out)
        lint_policy.check_tokens(document, known_tokens, out)
    start = document.get("StartAction")
    if isinstance(start, str) and start in by_id:
        _lint_graph(by_id, start, out, policy=policy)
    return out.issues


def _all_targets(action: Mapping[str, Any]) -> set[str]:
    """Every target an action of a type the simulator does not model may continue to."""
    transitions = transitions_of(action)
    entries = [transitions, *transition_list(transitions, "Conditions"), *transition_list(transitions, "Errors")]
    return {t for e in entries if isinstance(t := e.get("NextAction"), str)}


def _lint_graph(by_id: Mapping[str, Mapping[str, Any]], start: str, out: Findings, *, policy: bool) -> None:
    successors: dict[str, set[str]] = {}
    ends: set[str] = set()
    for identifier, action in by_id.items():
        if str(action.get("Type")) in ACTION_SPECS:
            targets: set[str | None] = set(declared_branches(action).values())
            if None in targets:
                ends.add(identifier)
        else:  # not modeled: follow whatever it declares, and assume it may end the contact
            targets = set(_all_targets(action))
            ends.add(identifier)
        successors[identifier] = {t for t in targets if isinstance(t, str) and t in by_id}
    reachable = {start}
    queue = deque([start])
    while queue:
        for nxt in successors[queue.popleft()]:
            if nxt not in reachable:
                reachable.add(nxt)
                queue.append(nxt)
    for identifier in by_id:
        if identifier not in reachable:  # Connect's rule is undocumented: a warning, an error for our own flows
            if policy:
                out.policy(identifier, "unreachable from StartAction")
            else:
                out.warn(identifier, "unreachable from StartAction")
    if not policy:
        return
    # an action from which no ending action can be reached is stuck in a cycle (or dead-ends)
    can_end = set(ends)
    changed = True
    while changed:
        changed = False
        for identifier, nexts in successors.items():
            if identifier not in can_end and nexts & can_end:
                can_end.add(identifier)
                changed = True
    for identifier in sorted(reachable - can_end):
        out.policy(identifier, "no path from here ends the contact (queue, disconnect or end)")


def reachable_edges(flow: Flow) -> set[tuple[str, str, str]]:
    """Every ``(flow, identifier, branch)`` the simulator could take from the flow's StartAction.

    ``NextAction`` appears only for actions that continue on success; terminal actions contribute their ending
    label (``Transferred``, ``Disconnected``…). The coverage test compares this with the branches scenarios took.
    """
    edges: set[tuple[str, str, str]] = set()
    seen = {flow.start_action}
    queue = deque([flow.start_action])
    while queue:
        identifier = queue.popleft()
        action = flow.actions.get(identifier)
        if action is None:
            continue
        for label, target in declared_branches(action).items():
            edges.add((flow.name, identifier, label))
            if target is not None and target not in seen:
                seen.add(target)
                queue.append(target)
    return edges
