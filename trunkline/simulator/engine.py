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
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from trunkline.simulator.actions import (
    ACTION_SPECS,
    DISCONNECTED,
    ENDED,
    MAX_CONTACT_TAGS,
    MAX_TAG_VALUE_CHARS,
    NEXT,
    TRANSFERRED,
    TRANSFERRED_TO_FLOW,
    condition_label,
    error_target,
    stores_input,
    tag_key_problem,
)
from trunkline.simulator.flow import Flow, load_flows
from trunkline.simulator.hours import ALWAYS_OPEN, HoursOracle
from trunkline.simulator.lambdas import (
    FakeLambdaContext,
    LambdaHandler,
    apply_reply_fault,
    build_event,
    function_name,
    validate_reply,
)
from trunkline.simulator.model import (
    CallbackRequest,
    Contact,
    EndReason,
    FaultKind,
    LambdaAttempt,
    LambdaInvocation,
    PlayedMessage,
    SimulationError,
    SimulationResult,
    TraceStep,
)
from trunkline.simulator.paths import MISSING, as_text, interpolate, is_reference, resolve

_ATTRIBUTE_KEY = re.compile(r"^[A-Za-z0-9_\-]+$")
_QUEUE_ARN = re.compile(
    r"^(arn:aws[a-z\-]*:connect:[a-z0-9\-]+:\d{12}:instance/[A-Za-z0-9\-]+)/queue/([A-Za-z0-9\-]+)$"
)
_AGENT_ARN = re.compile(
    r"^(arn:aws[a-z\-]*:connect:[a-z0-9\-]+:\d{12}:instance/[A-Za-z0-9\-]+)/agent/([A-Za-z0-9\-]+)$"
)
_RESOURCE_ID = re.compile(r"^[A-Za-z0-9\-]{1,100}$")
_E164 = re.compile(r"^\+[1-9]\d{1,14}$")
MAX_CONTACT_ATTRIBUTE_BYTES = 32_768
_PROMPT_KINDS: dict[str, Literal["Text", "SSML", "PromptId"]] = {"Text": "Text", "SSML": "SSML", "PromptId": "PromptId"}
RETRY_BUDGET_SECONDS = 8.0  # "retries up to three times, for a maximum of 8 seconds"


@dataclass(frozen=True, slots=True)
class SimulatorOptions:
    """Knobs of the simulation (defaults model Connect as documented)."""

    max_steps: int = 500
    lambda_retries: int = 3
    missing_reference: Literal["empty", "error"] = "empty"
    enforce_measured_timeout: bool = True
    dialable_prefixes: tuple[str, ...] | None = None  # None: every E.164 number is dialable
    known_queue_arns: frozenset[str] | None = None  # None: any well-formed queue of the instance exists
    queue_names: Mapping[str, str] = field(default_factory=dict)  # queue ARN -> name, for $.Queue.Name


class _BranchError(Exception):
    """Raised inside an action handler to leave by an error branch."""

    def __init__(self, error_type: str, detail: str = "") -> None:
        super().__init__(error_type)
        self.error_type = error_type
        self.detail = detail


@dataclass(frozen=True, slots=True)
class _Step:
    """One action about to run: the contact's state, the action, its Parameters."""

    run: _Run
    action: Mapping[str, Any]
    params: Mapping[str, Any]


@dataclass(slots=True)
class _Outcome:
    branch: str
    detail: str = ""


@dataclass(slots=True)
class _Run:
    """Mutable state of one simulated contact."""

    contact: Contact
    flow: Flow
    attributes: dict[str, str]
    flow_attributes: dict[str, str] = field(default_factory=dict)
    external: dict[str, object] = field(default_factory=dict)
    target_queue: str | None = None
    target_queue_name: str | None = None
    priority: int | None = None
    time_adjustment: int | None = None
    callback_number: str | None = None
    callback: CallbackRequest | None = None
    stored_input: str | None = None
    input_cursor: int = 0
    transferred_queue: str | None = None
    trace: list[TraceStep] = field(default_factory=list)
    messages: list[PlayedMessage] = field(default_factory=list)
    invocations: list[LambdaInvocation] = field(default_factory=list)
    calls_by_function: dict[str, int] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    next_flow: Flow | None = None
    routing_criteria: dict[str, Any] | None = None
    voice: str | None = None


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


def _local_number(value: str, country: str, invalid: str) -> str:
    """A number keyed in the national format of ``country``, as E.164; ``_BranchError(invalid)`` if it is not one."""
    import phonenumbers  # only flows validating non-NANP local numbers need it

    try:
        number = phonenumbers.parse(value, country)
    except phonenumbers.NumberParseException as exc:
        raise _BranchError(invalid, f"input is not a {country} number") from exc
    if not phonenumbers.is_valid_number(number):
        raise _BranchError(invalid, f"input is not a valid {country} number")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


class FlowSimulator:
    """Runs simulated contacts through a set of flows.

    ``flows`` are keyed by name (the file stem). ``flow_ids`` maps flow ids/ARNs used by TransferToFlow to names.
    ``lambdas`` maps function ARNs (exactly as they appear in the substituted flow) to handlers. ``hours``
    answers CheckHoursOfOperation. ``clock`` (seconds, monotonic) times handlers.
    """

    def __init__(
        self,
        flows: Mapping[str, Flow] | Iterable[Flow],
        *,
        lambdas: Mapping[str, LambdaHandler] | None = None,
        hours: HoursOracle = ALWAYS_OPEN,
        options: SimulatorOptions | None = None,
        flow_ids: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        items = flows.values() if isinstance(flows, Mapping) else flows
        self.flows: dict[str, Flow] = {f.name: f for f in items}
        self.lambdas: dict[str, LambdaHandler] = dict(lambdas or {})
        self.hours = hours
        self.options = options or SimulatorOptions()
        self.flow_ids: dict[str, str] = dict(flow_ids or {})
        self.clock = clock  # measures handler latency; injectable so tests can simulate a slow handler

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
        run = _Run(contact=contact, flow=flow, attributes=dict(contact.attributes))
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

    def _target(self, run: _Run, action: Mapping[str, Any], branch: str) -> str:
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

    def _result(self, run: _Run, start_flow: str, reason: EndReason, identifier: str) -> SimulationResult:
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

    def _execute(self, run: _Run, action: Mapping[str, Any]) -> _Outcome:
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
            return _Outcome(error_type, "injected fault")
        handler = getattr(self, _HANDLERS[str(action_type)])
        try:
            result: _Outcome = handler(_Step(run, action, params))
        except _BranchError as branch:
            return _Outcome(branch.error_type, branch.detail)
        return result

    # ------------------------------------------------------------------ helpers

    def _where(self, run: _Run, action: Mapping[str, Any]) -> str:
        return f"flow {run.flow.name!r} action {action.get('Identifier')!r} ({action.get('Type')})"

    def _data(self, run: _Run) -> dict[str, Any]:
        contact = run.contact

        def endpoint(address: str | None) -> dict[str, str] | None:
            return {"Address": address, "Type": "TELEPHONE_NUMBER"} if address else None

        return {
            "External": run.external,
            "Attributes": run.attributes,
            "FlowAttributes": run.flow_attributes,
            "CustomerEndpoint": endpoint(contact.customer_number),
            "SystemEndpoint": endpoint(contact.system_number),
            "Queue": {"ARN": run.target_queue, "Name": run.target_queue_name or ""} if run.target_queue else None,
            "Channel": contact.channel,
            "ContactId": contact.contact_id,
            "InitialContactId": contact.initial_contact_id or contact.contact_id,
            "PreviousContactId": contact.previous_contact_id or contact.contact_id,
            "InstanceARN": contact.instance_arn,
            "InitiationMethod": contact.initiation_method,
            "AwsRegion": contact.aws_region,
            "LanguageCode": contact.language_code,
            "StoredCustomerInput": run.stored_input,
            "CustomerCallbackNumber": run.callback_number or contact.customer_number,
        }

    def _value(self, run: _Run, action: Mapping[str, Any], name: str, raw: object) -> str:
        """A parameter value: static string, or one whole reference resolved per the missing-reference policy."""
        if not isinstance(raw, str):
            raise SimulationError(
                f"{self._where(run, action)}: parameter {name} must be a string (numbers too), got {raw!r}"
            )
        if not is_reference(raw):
            return raw
        value = resolve(raw, self._data(run))
        if value is MISSING and self.options.missing_reference == "error":
            raise _BranchError("NoMatchingError", f"{name}: {raw} is not set")
        return as_text(value)

    def _static_int(
        self, run: _Run, action: Mapping[str, Any], params: Mapping[str, Any], name: str, *, low: int, high: int
    ) -> int:
        raw = params.get(name)
        if not isinstance(raw, str) or is_reference(raw) or not raw.strip().isdigit():
            raise SimulationError(
                f"{self._where(run, action)}: {name} must be a static integer written as a string, got {raw!r}"
            )
        value = int(raw)
        if not low <= value <= high:
            raise SimulationError(f"{self._where(run, action)}: {name}={value} outside {low}..{high}")
        return value

    def _queue(self, run: _Run, value: str, *, agent: bool = False) -> str:
        """A queue (or agent queue) id/ARN as the ARN Connect would use; ``_BranchError`` if it cannot be one."""
        instance = run.contact.instance_arn
        if not value:
            raise _BranchError("NoMatchingError", "empty queue")
        pattern = _AGENT_ARN if agent else _QUEUE_ARN
        match = pattern.match(value)
        if match:
            if match.group(1) != instance:
                raise _BranchError("NoMatchingError", f"{value} belongs to another instance")
            arn = value
        elif _RESOURCE_ID.match(value):
            arn = f"{instance}/{'agent' if agent else 'queue'}/{value}"
        else:
            raise _BranchError("NoMatchingError", f"not a queue id or ARN: {value!r}")
        known = self.options.known_queue_arns
        if not agent and known is not None and arn not in known:
            raise _BranchError("NoMatchingError", f"no such queue: {arn}")
        return arn

    def _at_capacity(self, run: _Run, queue_arn: str) -> bool:
        full = run.contact.faults.queues_at_capacity
        return queue_arn in full or queue_arn.rsplit("/", 1)[-1] in full

    def _prompt(self, run: _Run, action: Mapping[str, Any], params: Mapping[str, Any], *, required: bool) -> None:
        """Play/send the action's prompt (exactly one of Text, SSML, PromptId)."""
        given = [k for k in ("Text", "SSML", "PromptId") if k in params]
        if len(given) > 1:
            raise SimulationError(f"{self._where(run, action)}: only one of Text, SSML, PromptId may be set")
        if not given:
            if required:
                raise SimulationError(f"{self._where(run, action)}: needs one of Text, SSML, PromptId")
            return
        kind = given[0]
        raw = params[kind]
        if not isinstance(raw, str):
            raise SimulationError(f"{self._where(run, action)}: {kind} must be a string")
        if kind in ("SSML", "PromptId") and run.contact.channel != "VOICE":
            raise _BranchError("NoMatchingError", f"{kind} prompts are voice-only ({run.contact.channel})")
        if is_reference(raw) or kind == "PromptId":
            text = self._value(run, action, kind, raw)
        else:
            text, missing = interpolate(raw, self._data(run))
            if missing and self.options.missing_reference == "error":
                raise _BranchError("NoMatchingError", f"{kind} references unset {', '.join(missing)}")
        if not text.strip():
            raise _BranchError("NoMatchingError", f"{kind} is empty")
        run.messages.append(PlayedMessage(run.flow.name, str(action["Identifier"]), text, _PROMPT_KINDS[kind]))

    @staticmethod
    def _matches(operator: object, operands: object, value: str) -> bool:
        if not isinstance(operands, list) or not operands:
            raise SimulationError(f"condition operands must be a non-empty list, got {operands!r}")
        expected = str(operands[0])
        if operator == "Equals":
            return value == expected
        if operator == "TextContains":
            return expected in value
        if operator == "TextStartsWith":
            return value.startswith(expected)
        if operator == "TextEndsWith":
            return value.endswith(expected)
        numeric = {
            "NumberGreaterThan": lambda a, b: a > b,
            "NumberGreaterOrEqualTo": lambda a, b: a >= b,
            "NumberLessThan": lambda a, b: a < b,
            "NumberLessOrEqualTo": lambda a, b: a <= b,
        }
        if operator in numeric:
            try:
                return bool(numeric[str(operator)](float(value), float(expected)))
            except ValueError:
                return False
        raise SimulationError(f"unknown condition operator {operator!r}")

    def _first_condition(self, run: _Run, action: Mapping[str, Any], value: str) -> str | None:
        transitions = action.get("Transitions")
        conditions = transitions.get("Conditions") if isinstance(transitions, Mapping) else None
        for cond in conditions or []:
            condition = cond.get("Condition") if isinstance(cond, Mapping) else None
            if not isinstance(condition, Mapping):
                raise SimulationError(f"{self._where(run, action)}: malformed condition {cond!r}")
            if self._matches(condition.get("Operator"), condition.get("Operands"), value):
                return condition_label(condition)
        return None

    # ------------------------------------------------------------------ actions

    def _invoke_lambda_function(self, step: _Step) -> _Outcome:
        run, action, params = step.run, step.action, step.params
        where = self._where(run, action)
        arn = self._value(run, action, "LambdaFunctionARN", params.get("LambdaFunctionARN", ""))
        if params.get("InvocationType", "SYNCHRONOUS") != "SYNCHRONOUS":
            raise SimulationError(f"{where}: only SYNCHRONOUS invocation is simulated")
        limit = self._static_int(run, action, params, "InvocationTimeLimitSeconds", low=1, high=8)
        validation = params.get("ResponseValidation") or {}
        response_type = validation.get("ResponseType", "STRING_MAP") if isinstance(validation, Mapping) else None
        if response_type not in ("STRING_MAP", "JSON"):
            raise SimulationError(f"{where}: ResponseValidation.ResponseType must be STRING_MAP or JSON")
        raw_attrs = params.get("LambdaInvocationAttributes") or {}
        if not isinstance(raw_attrs, Mapping):
            raise SimulationError(f"{where}: LambdaInvocationAttributes must be an object")
        parameters = {
            str(k): self._value(run, action, f"LambdaInvocationAttributes.{k}", v) for k, v in raw_attrs.items()
        }
        handler = self.lambdas.get(arn)
        if handler is None:
            raise SimulationError(f"{where}: no handler registered for {arn!r} (registered: {sorted(self.lambdas)})")
        event = build_event(
            run.contact,
            attributes=run.attributes,
            queue_arn=run.target_queue,
            queue_name=run.target_queue_name,
            parameters=parameters,
        )
        fault = run.contact.faults.lambda_fault_for(arn)
        attempts: list[LambdaAttempt] = []
        reply: object = None
        succeeded = False
        budget_start = self.clock()
        for _ in range(1 + self.options.lambda_retries):
            if attempts and self.clock() - budget_start > RETRY_BUDGET_SECONDS:
                break
            call_number = run.calls_by_function.get(arn, 0)
            run.calls_by_function[arn] = call_number + 1
            active = fault if fault and (fault.attempts is None or call_number < fault.attempts) else None
            if active is not None and active.kind is FaultKind.ERROR:
                attempts.append(LambdaAttempt("error", 0.0, "injected function error"))
                continue
            context = FakeLambdaContext(function_name(arn), arn, float(limit))
            started = self.clock()
            try:
                candidate = handler(copy.deepcopy(event), context)
            except Exception as exc:  # noqa: BLE001 — any handler exception is a Lambda function error
                attempts.append(LambdaAttempt("error", (self.clock() - started) * 1000, repr(exc)))
                continue
            latency_ms = (self.clock() - started) * 1000
            if active is not None and active.kind is FaultKind.TIMEOUT:
                attempts.append(LambdaAttempt("timeout", latency_ms, f"injected: ran past {limit}s"))
                break
            if self.options.enforce_measured_timeout and latency_ms > limit * 1000:
                attempts.append(LambdaAttempt("timeout", latency_ms, f"took {latency_ms:.0f} ms > {limit}s"))
                break
            if active is not None:
                candidate = apply_reply_fault(candidate, active.kind)
            problem = validate_reply(candidate, str(response_type))
            if problem:
                attempts.append(LambdaAttempt("invalid_reply", latency_ms, problem))
                break
            attempts.append(LambdaAttempt("ok", latency_ms))
            reply, succeeded = candidate, True
            break
        run.invocations.append(
            LambdaInvocation(
                flow=run.flow.name,
                identifier=str(action["Identifier"]),
                function_arn=arn,
                parameters=parameters,
                attempts=tuple(attempts),
                succeeded=succeeded,
                reply=dict(reply) if isinstance(reply, Mapping) else None,
            )
        )
        if not succeeded:
            raise _BranchError(
                "NoMatchingError", f"{len(attempts)} attempt(s): {attempts[-1].outcome}: {attempts[-1].error}"
            )
        # $.External is overwritten by each successful invocation
        run.external = dict(reply) if isinstance(reply, Mapping) else {}
        return _Outcome(NEXT, f"{len(attempts)} attempt(s)")

    def _compare(self, step: _Step) -> _Outcome:
        run, action, params = step.run, step.action, step.params
        raw = params.get("ComparisonValue")
        if not is_reference(raw):
            raise SimulationError(f"{self._where(run, action)}: ComparisonValue must be one reference, got {raw!r}")
        value = resolve(str(raw), self._data(run))
        text = as_text(value)
        label = None if value is MISSING else self._first_condition(run, action, text)
        if label is None:
            raise _BranchError("NoMatchingCondition", f"{raw}={text!r}")
        return _Outcome(label, f"{raw}={text!r}")

    def _update_contact_attributes(self, step: _Step) -> _Outcome:
        run, action, params = step.run, step.action, step.params
        where = self._where(run, action)
        if params.get("TargetContact", "Current") != "Current":
            raise SimulationError(f"{where}: only TargetContact Current is simulated")
        raw = params.get("Attributes")
        if not isinstance(raw, Mapping):
            raise SimulationError(f"{where}: Attributes must be an object of name -> value")
        updates: dict[str, str] = {}
        for key, value in raw.items():
            if not _ATTRIBUTE_KEY.match(str(key)):
                raise SimulationError(f"{where}: attribute name {key!r} must match [A-Za-z0-9_-]+")
            updates[str(key)] = self._value(run, action, f"Attributes.{key}", value)
        merged = {**run.attributes, **updates}
        size = sum(len(k.encode()) + len(v.encode()) for k, v in merged.items())
        if size > MAX_CONTACT_ATTRIBUTE_BYTES:
            raise _BranchError("NoMatchingError", f"contact attributes would be {size} bytes (> 32,768)")
        run.attributes = merged  # all or nothing
        return _Outcome(NEXT, ", ".join(sorted(updates)))

    def _update_flow_attributes(self, step: _Step) -> _Outcome:
        run, action, params = step.run, step.action, step.params
        where = self._where(run, action)
        raw = params.get("FlowAttributes")
        if not isinstance(raw, Mapping):
            raise SimulationError(f"{where}: FlowAttributes must be an object")
        updates: dict[str, str] = {}
        for key, spec in raw.items():
            value = spec.get("Value") if isinstance(spec, Mapping) else spec
            try:
                updates[str(key)] = self._value(run, action, f"FlowAttributes.{key}", value)
            except _BranchError as exc:
                self._fail_or_raise(run, action, exc.detail)
        run.flow_attributes.update(updates)
        return _Outcome(NEXT, ", ".join(sorted(updates)))

    def _update_contact_target_queue(self, step: _Step) -> _Outcome:
        run, action, params = step.run, step.action, step.params
        has_queue, has_agent = "QueueId" in params, "AgentId" in params
        if has_queue == has_agent:
            raise SimulationError(f"{self._where(run, action)}: exactly one of QueueId, AgentId is required")
        name = "QueueId" if has_queue else "AgentId"
        arn = self._queue(run, self._value(run, action, name, params[name]), agent=has_agent)
        run.target_queue = arn
        run.target_queue_name = self.options.queue_names.get(arn)
        return _Outcome(NEXT, arn)

    def _transfer_contact_to_queue(self, step: _Step) -> _Outcome:
        run = step.run
        queue = run.target_queue
        if not queue:
            raise _BranchError("NoMatchingError", "no working queue set")
        if self._at_capacity(run, queue):
            raise _BranchError("QueueAtCapacity", queue)
        run.transferred_queue = queue
        return _Outcome(TRANSFERRED, queue)

    def _update_contact_routing_behavior(self, step: _Step) -> _Outcome:
        run, action, params = step.run, step.action, step.params
        has_priority, has_age = "QueuePriority" in params, "QueueTimeAdjustmentSeconds" in params
        if has_priority == has_age:
            raise SimulationError(
                f"{self._where(run, action)}: exactly one of QueuePriority, QueueTimeAdjustmentSeconds is required"
            )
        if has_priority:
            run.priority = self._static_int(run, action, params, "QueuePriority", low=1, high=2**31 - 1)
            return _Outcome(NEXT, f"priority {run.priority}")
        raw = params.get("QueueTimeAdjustmentSeconds")
        if not isinstance(raw, str) or not re.fullmatch(r"-?\d+", raw):
            raise SimulationError(f"{self._where(run, action)}: QueueTimeAdjustmentSeconds must be a static integer")
        run.time_adjustment = int(raw)
        return _Outcome(NEXT, f"age +{run.time_adjustment}s")

    def _check_hours_of_operation(self, step: _Step) -> _Outcome:
        run, action, params = step.run, step.action, step.params
        hours_id: str | None = None
        if "HoursOfOperationId" in params:
            hours_id = self._value(run, action, "HoursOfOperationId", params["HoursOfOperationId"]) or None
        if hours_id is None and not run.target_queue:
            raise _BranchError("NoMatchingError", "no hours given and no working queue")
        answer = self.hours.is_open(hours_id, run.target_queue, run.contact)
        if answer is None:
            raise _BranchError("NoMatchingError", "hours unknown")
        wanted = "True" if answer else "False"
        label = self._first_condition(run, action, wanted)
        if label is None:
            raise SimulationError(f"{self._where(run, action)}: no condition for Equals {wanted}")
        return _Outcome(label, f"open={answer}")

    def _message_participant(self, step: _Step) -> _Outcome:
        self._prompt(step.run, step.action, step.params, required=True)
        return _Outcome(NEXT)

    def _get_participant_input(self, step: _Step) -> _Outcome:
        run, action, params = step.run, step.action, step.params
        store = stores_input(action)
        if store and run.contact.channel != "VOICE":
            raise _BranchError("NoMatchingError", f"storing input is voice-only ({run.contact.channel})")
        if "InputTimeLimitSeconds" in params:
            self._static_int(run, action, params, "InputTimeLimitSeconds", low=1, high=180)
        self._prompt(run, action, params, required=False)
        script = run.contact.inputs
        answer = script[run.input_cursor] if run.input_cursor < len(script) else None
        run.input_cursor += 1
        if answer is None or answer.kind == "timeout":
            if store:  # store mode has no timeout error: success, with the literal value "Timeout" stored
                run.stored_input = "Timeout"
                return _Outcome(NEXT, "no input: Timeout stored")
            raise _BranchError("InputTimeLimitExceeded", "no input")
        value = answer.value
        dtmf = params.get("DTMFConfiguration")
        terminator = dtmf.get("InputTerminationSequence", "#") if isinstance(dtmf, Mapping) else "#"
        if answer.kind == "dtmf" and terminator and value.endswith(terminator):
            value = value[: -len(terminator)]
        if store:
            run.stored_input = self._validated_input(run, action, params, value)
            return _Outcome(NEXT, f"stored {len(run.stored_input)} chars")
        label = self._first_condition(run, action, value)
        if label is None:
            raise _BranchError("NoMatchingCondition", f"input {value!r}")
        return _Outcome(label, f"input {value!r}")

    def _validated_input(self, run: _Run, action: Mapping[str, Any], params: Mapping[str, Any], value: str) -> str:
        validation = params.get("InputValidation")
        if not isinstance(validation, Mapping):
            return value
        custom = validation.get("CustomValidation")
        if isinstance(custom, Mapping):  # the lint accepts it, so the simulator runs it: longer input is an error
            limit = self._static_int(run, action, custom, "MaximumLength", low=1, high=2**31 - 1)
            if len(value) > limit:
                raise _BranchError("NoMatchingError", f"input longer than MaximumLength {limit}")
            return value
        phone = validation.get("PhoneNumberValidation")
        if not isinstance(phone, Mapping):
            raise SimulationError(f"{self._where(run, action)}: InputValidation {dict(validation)!r} is not simulated")
        # a declared InvalidPhoneNumber branch takes an invalid number (Connect accepts it with phone validation)
        invalid = "InvalidPhoneNumber" if error_target(action, "InvalidPhoneNumber") else "NoMatchingError"
        number_format = phone.get("NumberFormat")
        if number_format == "E164":
            # DTMF cannot key "+": the caller keys the country code and Connect stores the number in E.164.
            candidate = value if value.startswith("+") else f"+{value}"
            if not _E164.match(candidate):
                raise _BranchError(invalid, "input is not an E.164 number")
            return candidate
        if number_format == "Local" and phone.get("CountryCode") in ("US", "CA"):
            digits = value[1:] if len(value) == 11 and value.startswith("1") else value
            if not (len(digits) == 10 and digits.isdigit() and digits[0] in "23456789"):
                raise _BranchError(invalid, "input is not a 10-digit NANP number")
            return f"+1{digits}"
        if number_format == "Local" and isinstance(phone.get("CountryCode"), str):
            return _local_number(value, str(phone["CountryCode"]), invalid)
        raise SimulationError(f"{self._where(run, action)}: PhoneNumberValidation {dict(phone)!r} is not simulated")

    def _update_contact_callback_number(self, step: _Step) -> _Outcome:
        run, action, params = step.run, step.action, step.params
        raw = params.get("CallbackNumber")
        if not is_reference(raw):
            raise SimulationError(f"{self._where(run, action)}: CallbackNumber must be a reference, not static")
        value = resolve(str(raw), self._data(run))
        number = as_text(value).strip()
        faults = run.contact.faults
        if faults.invalid_callback_number or not _E164.match(number):
            raise _BranchError("InvalidCallbackNumber", f"{raw}={number!r}")
        prefixes = self.options.dialable_prefixes
        if faults.undialable_callback_number or (prefixes is not None and not number.startswith(prefixes)):
            raise _BranchError("CallbackNumberNotDialable", number)
        run.callback_number = number
        return _Outcome(NEXT, number)

    def _create_callback_contact(self, step: _Step) -> _Outcome:
        run, action, params = step.run, step.action, step.params
        where = self._where(run, action)
        if "QueueId" in params and "AgentId" in params:
            raise SimulationError(f"{where}: QueueId and AgentId are exclusive")
        if "ContactFlowId" in params:
            delay = 0
        else:
            delay = self._static_int(run, action, params, "InitialCallDelaySeconds", low=1, high=259_200)
        attempts = self._static_int(run, action, params, "MaximumConnectionAttempts", low=1, high=2**31 - 1)
        retry_delay = self._static_int(run, action, params, "RetryDelaySeconds", low=1, high=259_200)
        if "QueueId" in params:
            queue: str | None = self._queue(run, self._value(run, action, "QueueId", params["QueueId"]))
        elif "AgentId" in params:
            queue = self._queue(run, self._value(run, action, "AgentId", params["AgentId"]), agent=True)
        else:
            queue = run.target_queue
        if run.contact.channel != "VOICE":
            raise _BranchError("NoMatchingError", f"callbacks are voice-only ({run.contact.channel})")
        if not queue:
            raise _BranchError("NoMatchingError", "no queue for the callback")
        number = run.callback_number or run.contact.customer_number
        if not number:
            raise _BranchError("NoMatchingError", "no callback number")
        if self._at_capacity(run, queue):
            raise _BranchError("NoMatchingError", f"{queue} at capacity")
        run.callback = CallbackRequest(number, queue, delay, attempts, retry_delay)
        return _Outcome(NEXT, f"callback to {number} via {queue}")

    def _transfer_to_flow(self, step: _Step) -> _Outcome:
        run, action, params = step.run, step.action, step.params
        flow_id = self._value(run, action, "ContactFlowId", params.get("ContactFlowId", ""))
        name = self.flow_ids.get(flow_id, flow_id)
        target = self.flows.get(name)
        if target is None:
            raise _BranchError("NoMatchingError", f"no flow {flow_id!r}")
        run.next_flow = target
        return _Outcome(TRANSFERRED_TO_FLOW, target.name)

    def _disconnect_participant(self, step: _Step) -> _Outcome:  # noqa: ARG002 — uniform handler signature
        return _Outcome(DISCONNECTED)

    def _end_flow_execution(self, step: _Step) -> _Outcome:  # noqa: ARG002 — uniform handler signature
        return _Outcome(ENDED)

    def _update_flow_logging_behavior(self, step: _Step) -> _Outcome:
        run, action, params = step.run, step.action, step.params
        behavior = params.get("FlowLoggingBehavior")
        if behavior not in ("Enabled", "Disabled"):
            raise SimulationError(f"{self._where(run, action)}: FlowLoggingBehavior must be Enabled or Disabled")
        return _Outcome(NEXT, str(behavior))

    def _fail_or_raise(self, run: _Run, action: Mapping[str, Any], detail: str) -> None:
        """Leave by NoMatchingError when the action declares it; without the branch the failure is a flow bug."""
        if error_target(action, "NoMatchingError") is not None:
            raise _BranchError("NoMatchingError", detail)
        raise SimulationError(f"{self._where(run, action)}: {detail} (and no NoMatchingError branch)")

    def _tag_contact(self, step: _Step) -> _Outcome:
        # What the TagContact API would refuse (a bad key, more than 6 tags on the contact, a value over 256
        # characters) takes NoMatchingError when declared; without it the flow has a bug: SimulationError.
        run, action, params = step.run, step.action, step.params
        where = self._where(run, action)
        raw = params.get("Tags")
        if not isinstance(raw, Mapping) or not raw:
            raise SimulationError(f"{where}: Tags must be a non-empty object of key -> value")
        updates: dict[str, str] = {}
        for key, value in raw.items():
            problem = tag_key_problem(str(key))
            if problem:
                self._fail_or_raise(run, action, problem)
            try:
                updates[str(key)] = self._value(run, action, f"Tags.{key}", value)
            except _BranchError as exc:
                self._fail_or_raise(run, action, exc.detail)
            if len(updates[str(key)]) > MAX_TAG_VALUE_CHARS:
                self._fail_or_raise(
                    run,
                    action,
                    f"tag {key!r} value is {len(updates[str(key)])} characters (at most {MAX_TAG_VALUE_CHARS})",
                )
        merged = {**run.tags, **updates}
        if len(merged) > MAX_CONTACT_TAGS:
            self._fail_or_raise(
                run,
                action,
                f"the contact would have {len(merged)} tags ({', '.join(sorted(merged))}); "
                f"Connect allows at most {MAX_CONTACT_TAGS} user tags per contact",
            )
        run.tags = merged
        return _Outcome(NEXT, ", ".join(sorted(updates)))

    def _update_contact_routing_criteria(self, step: _Step) -> _Outcome:
        # Steps may be static or one reference to a JSON Lambda reply's list (docs/flows.md: what only a real
        # instance proves). Anything Connect's RoutingCriteria shape would reject takes NoMatchingError.
        run, action, params = step.run, step.action, step.params
        criteria = params.get("RoutingCriteria")
        if not isinstance(criteria, Mapping) or "Steps" not in criteria:
            raise SimulationError(f"{self._where(run, action)}: RoutingCriteria.Steps is required")
        steps: object = criteria["Steps"]
        if isinstance(steps, str):
            if not is_reference(steps):
                raise SimulationError(f"{self._where(run, action)}: Steps must be a list or one reference")
            steps = resolve(steps, self._data(run))
        problem = routing_steps_problem(steps)
        if problem:
            raise _BranchError("NoMatchingError", problem)
        assert isinstance(steps, list)
        run.routing_criteria = {"Steps": copy.deepcopy(steps)}
        return _Outcome(NEXT, f"{len(steps)} step(s)")

    def _update_contact_text_to_speech_voice(self, step: _Step) -> _Outcome:
        run, action, params = step.run, step.action, step.params
        voice = self._value(run, action, "TextToSpeechVoice", params.get("TextToSpeechVoice", ""))
        if not re.fullmatch(r"[A-Z][A-Za-z]{1,31}", voice):  # a Polly voice name (Joanna, Lupe…)
            raise _BranchError("NoMatchingError", f"not a voice: {voice!r}")
        run.voice = voice
        return _Outcome(NEXT, voice)


_PROFICIENCY_LEVELS = frozenset({1.0, 2.0, 3.0, 4.0, 5.0})


def _condition_problem(condition: object) -> str:
    if not isinstance(condition, Mapping):
        return "AttributeCondition must be an object"
    for key in ("Name", "Value"):
        value = condition.get(key)
        if not isinstance(value, str) or not 1 <= len(value) <= 64:
            return f"AttributeCondition.{key} must be 1..64 characters"
    try:
        level = float(condition.get("ProficiencyLevel"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "ProficiencyLevel must be a number"
    if level not in _PROFICIENCY_LEVELS:
        return f"ProficiencyLevel {level} is not one of 1.0..5.0"
    if condition.get("ComparisonOperator") != "NumberGreaterOrEqualTo":
        return "ComparisonOperator must be NumberGreaterOrEqualTo"
    return ""


def routing_steps_problem(steps: object) -> str:
    """Why ``steps`` is not a RoutingCriteria ``Steps`` list the flow-language reference allows ("" when it is)."""
    if not isinstance(steps, list) or not steps:
        return "Steps must be a non-empty list"
    for index, item in enumerate(steps):
        expression = item.get("Expression") if isinstance(item, Mapping) else None
        if not isinstance(expression, Mapping) or len(expression) != 1:
            return f"Steps[{index}].Expression must hold exactly one of AttributeCondition, AndExpression"
        if "AttributeCondition" in expression:
            problem = _condition_problem(expression["AttributeCondition"])
        elif isinstance(expression.get("AndExpression"), list) and expression["AndExpression"]:
            problems = [
                _condition_problem(e.get("AttributeCondition") if isinstance(e, Mapping) else None)
                for e in expression["AndExpression"]
            ]
            problem = next((p for p in problems if p), "")
        else:
            problem = "Expression must be AttributeCondition or a non-empty AndExpression"
        if problem:
            return f"Steps[{index}]: {problem}"
        expiry = item.get("Expiry")
        if expiry is not None:
            seconds = expiry.get("DurationInSeconds") if isinstance(expiry, Mapping) else None
            if not str(seconds).isdigit() or int(str(seconds)) < 1:
                return f"Steps[{index}].Expiry.DurationInSeconds must be a positive integer"
    return ""
