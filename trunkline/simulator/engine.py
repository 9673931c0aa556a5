"""``FlowSimulator``: walks flow-language documents for one simulated contact, calling in-process handlers.

Behaviour follows the flow-language reference (see ``actions.py`` for sources). Where Connect's behaviour is not
documented the simulator picks one reading and says so here; ``docs/flows.md`` lists these choices:

* a reference to an absent key resolves to ``""`` (``missing_reference="empty"``), or, in ``"error"`` mode, sends
  the action down its ``NoMatchingError`` branch (a strict mode for tests; Compare is exempt: comparing an
  absent value simply matches nothing);
* a Lambda *error* (the handler raises, or an injected ERROR fault) is retried up to 3 times, as Connect documents
  for function errors and throttles; a timeout or a reply Connect cannot parse goes to the error branch at once;
* a handler slower than ``InvocationTimeLimitSeconds`` (measured with ``perf_counter``) is a timeout;
* a prompt whose text resolves to ``""`` takes ``NoMatchingError`` (there is nothing to say);
* GetParticipantInput storing input (``StoreInput: "True"``) has no timeout error: with no input it succeeds with
  ``$.StoredCustomerInput = "Timeout"`` (the Store customer input block's documented behaviour; a declared
  ``InputTimeLimitExceeded`` is never taken, and ``flows lint`` reports it). Input that fails
  ``PhoneNumberValidation`` takes ``InvalidPhoneNumber`` when declared, else ``NoMatchingError``;
* TagContact and UpdateFlowAttributes take ``NoMatchingError`` when they declare it (console exports do) for what
  Connect would refuse (a tag key outside its pattern, more than 6 user tags, a value over 256 characters, an unset
  reference in ``"error"`` mode); without the branch that is a bug in the flow: ``SimulationError``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from trunkline.simulator.actions import (
    ACTION_SPECS,
    DISCONNECTED,
    ENDED,
    NEXT,
    TRANSFERRED,
    TRANSFERRED_TO_FLOW,
    condition_label,
    error_target,
)
from trunkline.simulator.blocks import FlowBlocks
from trunkline.simulator.flow import load_flows
from trunkline.simulator.invoke import LambdaBlock
from trunkline.simulator.lambdas import (
    LambdaHandler,
)
from trunkline.simulator.model import (
    Contact,
    EndReason,
    SimulationError,
    SimulationResult,
    TraceStep,
)
from trunkline.simulator.state import BranchError, Outcome, RunState, Step

_HANDLERS: dict[str, str] = {
    "InvokeLambdaFunction": "_invoke_lambda_function",
    "Compare": "_compare",
    "UpdateContactAttributes": "_update_contact_attributes",
    "UpdateFlowAttributes": "_update_flow_attributes",
    "UpdateContactTargetQueue": "_update_contact_target_queue",
    "TransferContactToQueue": "_transfer_contact_to_queue",
    "UpdateContactRoutingBehavior": "_update_contact_routing_behavior",
    "CheckHoursOfOperation": "_check_hours_of_operation",
    "MessageParticipant": "_message_participant",
    "GetParticipantInput": "_get_participant_input",
    "UpdateContactCallbackNumber": "_update_contact_callback_number",
    "CreateCallbackContact": "_create_callback_contact",
    "TransferToFlow": "_transfer_to_flow",
    "DisconnectParticipant": "_disconnect_participant",
    "EndFlowExecution": "_end_flow_execution",
    "UpdateFlowLoggingBehavior": "_update_flow_logging_behavior",
    "TagContact": "_tag_contact",
    "UpdateContactRoutingCriteria": "_update_contact_routing_criteria",
    "UpdateContactTextToSpeechVoice": "_update_contact_text_to_speech_voice",
}


class FlowSimulator(FlowBlocks, LambdaBlock):
    """Runs simulated contacts through a set of flows.

    ``flows`` are keyed by name (the file stem). ``flow_ids`` maps flow ids/ARNs used by TransferToFlow to names.
    ``lambdas`` maps function ARNs (exactly as they appear in the substituted flow) to handlers. ``hours``
    answers CheckHoursOfOperation. ``clock`` (seconds, monotonic) times handlers.
    """

    @classmethod
    def from_directory(
        cls,
        directory: str | Path,
        tokens: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> FlowSimulator:
        """Load every flow in ``directory`` (substituting ``tokens``) and build a simulator over them."""
        return cls(load_flows(directory, tokens), **kwargs)

    def register_lambda(self, function_arn: str, handler: LambdaHandler) -> None:
        """Make ``handler`` answer InvokeLambdaFunction actions whose LambdaFunctionARN is ``function_arn``."""
        self.lambdas[function_arn] = handler

    def register_flow_id(self, flow_id: str, flow_name: str) -> None:
        """Let TransferToFlow reach flow ``flow_name`` by ``flow_id`` (an id or ARN)."""
        if flow_name not in self.flows:
            raise SimulationError(f"unknown flow {flow_name!r}")
        self.flow_ids[flow_id] = flow_name

    # ------------------------------------------------------------------ running

    def run(self, flow_name: str, contact: Contact) -> SimulationResult:
        """Simulate ``contact`` entering flow ``flow_name`` until it is queued, disconnected or the flow ends."""
        if flow_name not in self.flows:
            raise SimulationError(f"unknown flow {flow_name!r} (loaded: {sorted(self.flows)})")
        flow = self.flows[flow_name]
        run = RunState(contact=contact, flow=flow, attributes=dict(contact.attributes))
        if contact.queue_arn:
            run.target_queue = contact.queue_arn
            run.target_queue_name = contact.queue_name or self.options.queue_names.get(contact.queue_arn)
        current = flow.start_action
        for _ in range(self.options.max_steps):
            action = run.flow.actions.get(current)
            if action is None:
                raise SimulationError(f"flow {run.flow.name!r}: transition to unknown action {current!r}")
            outcome = self._execute(run, action)
            identifier = str(action["Identifier"])
            action_type = str(action.get("Type"))
            run.trace.append(TraceStep(run.flow.name, identifier, action_type, outcome.branch, outcome.detail))
            if outcome.branch == TRANSFERRED:
                return self._result(run, flow_name, EndReason.TRANSFERRED_TO_QUEUE, identifier)
            if outcome.branch == DISCONNECTED:
                return self._result(run, flow_name, EndReason.DISCONNECTED, identifier)
            if outcome.branch == ENDED:
                return self._result(run, flow_name, EndReason.FLOW_ENDED, identifier)
            if outcome.branch == TRANSFERRED_TO_FLOW:
                assert run.next_flow is not None
                run.flow, run.next_flow = run.next_flow, None
                run.flow_attributes = {}  # flow attributes do not carry over to the next flow
                current = run.flow.start_action
                continue
            current = self._target(run, action, outcome.branch)
        recent = " -> ".join(s.identifier for s in run.trace[-8:])
        raise SimulationError(
            f"loop guard: flow {run.flow.name!r} ran {self.options.max_steps} actions without ending "
            f"(last: {recent}); is there a cycle with no exit?"
        )

    def _target(self, run: RunState, action: Mapping[str, Any], branch: str) -> str:
        transitions = action.get("Transitions")
        transitions = transitions if isinstance(transitions, Mapping) else {}
        where = f"flow {run.flow.name!r} action {action['Identifier']!r} ({action.get('Type')})"
        if branch == NEXT:
            target = transitions.get("NextAction")
            if not isinstance(target, str) or not target:
                raise SimulationError(f"{where}: succeeded but has no NextAction (dead end)")
            return target
        for cond in transitions.get("Conditions") or []:
            if isinstance(cond, Mapping) and condition_label(cond.get("Condition") or {}) == branch:
                return str(cond.get("NextAction"))
        target = error_target(action, branch)
        if target is None:
            raise SimulationError(f"{where}: took {branch} but declares no such branch")
        return target

    def _result(self, run: RunState, start_flow: str, reason: EndReason, identifier: str) -> SimulationResult:
        return SimulationResult(
            contact=run.contact,
            start_flow=start_flow,
            trace=tuple(run.trace),
            end_reason=reason,
            ended_in_flow=run.flow.name,
            ended_at=identifier,
            queue_arn=run.transferred_queue,
            target_queue_arn=run.target_queue,
            queue_priority=run.priority,
            queue_time_adjustment_seconds=run.time_adjustment,
            attributes=dict(run.attributes),
            flow_attributes=dict(run.flow_attributes),
            external=dict(run.external),
            callback_number=run.callback_number,
            callback=run.callback,
            messages=tuple(run.messages),
            invocations=tuple(run.invocations),
            stored_customer_input=run.stored_input,
            tags=dict(run.tags),
            routing_criteria=copy.deepcopy(run.routing_criteria),
            voice=run.voice,
        )

    def _execute(self, run: RunState, action: Mapping[str, Any]) -> Outcome:
        action_type = action.get("Type")
        identifier = action.get("Identifier")
        if action_type not in ACTION_SPECS:
            raise SimulationError(
                f"flow {run.flow.name!r}: action {identifier!r} has type {action_type!r}, "
                f"which the simulator does not know (known: {', '.join(sorted(ACTION_SPECS))})"
            )
        params = action.get("Parameters") or {}
        if not isinstance(params, Mapping):
            raise SimulationError(f"flow {run.flow.name!r}: action {identifier!r} Parameters must be an object")
        forced = run.contact.faults.action_errors
        error_type = forced.get(f"{run.flow.name}:{identifier}") or forced.get(str(identifier))
        if error_type is not None:
            if error_type not in ACTION_SPECS[str(action_type)].errors:
                raise SimulationError(
                    f"{self._where(run, action)}: cannot force {error_type!r}; "
                    f"the type has {sorted(ACTION_SPECS[str(action_type)].errors)}"
                )
            return Outcome(error_type, "injected fault")
        handler = getattr(self, _HANDLERS[str(action_type)])
        try:
            result: Outcome = handler(Step(run, action, params))
        except BranchError as branch:
            return Outcome(branch.error_type, branch.detail)
        return result
