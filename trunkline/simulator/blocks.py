"""The flow blocks the simulator runs (one method per action type, ``engine._HANDLERS``), except
InvokeLambdaFunction (``invoke``). Each takes a ``Step`` and returns the branch to follow, or raises
``BranchError`` to leave by an error branch; a flow Connect would refuse raises ``SimulationError``."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from trunkline.simulator.actions import (
    DISCONNECTED,
    ENDED,
    MAX_CONTACT_TAGS,
    MAX_TAG_VALUE_CHARS,
    NEXT,
    TRANSFERRED,
    TRANSFERRED_TO_FLOW,
    error_target,
    stores_input,
    tag_key_problem,
)
from trunkline.simulator.core import SimulatorCore
from trunkline.simulator.model import CallbackRequest, SimulationError
from trunkline.simulator.paths import MISSING, as_text, is_reference, resolve
from trunkline.simulator.state import (
    ATTRIBUTE_KEY,
    E164,
    MAX_CONTACT_ATTRIBUTE_BYTES,
    BranchError,
    Outcome,
    RunState,
    Step,
    local_number,
)


class FlowBlocks(SimulatorCore):
    """The blocks other than InvokeLambdaFunction."""

    def _compare(self, step: Step) -> Outcome:
        run, action, params = step.run, step.action, step.params
        raw = params.get("ComparisonValue")
        if not is_reference(raw):
            raise SimulationError(f"{self._where(run, action)}: ComparisonValue must be one reference, got {raw!r}")
        value = resolve(str(raw), self._data(run))
        text = as_text(value)
        label = None if value is MISSING else self._first_condition(run, action, text)
        if label is None:
            raise BranchError("NoMatchingCondition", f"{raw}={text!r}")
        return Outcome(label, f"{raw}={text!r}")

    def _update_contact_attributes(self, step: Step) -> Outcome:
        run, action, params = step.run, step.action, step.params
        where = self._where(run, action)
        if params.get("TargetContact", "Current") != "Current":
            raise SimulationError(f"{where}: only TargetContact Current is simulated")
        raw = params.get("Attributes")
        if not isinstance(raw, Mapping):
            raise SimulationError(f"{where}: Attributes must be an object of name -> value")
        updates: dict[str, str] = {}
        for key, value in raw.items():
            if not ATTRIBUTE_KEY.match(str(key)):
                raise SimulationError(f"{where}: attribute name {key!r} must match [A-Za-z0-9_-]+")
            updates[str(key)] = self._value(run, action, f"Attributes.{key}", value)
        merged = {**run.attributes, **updates}
        size = sum(len(k.encode()) + len(v.encode()) for k, v in merged.items())
        if size > MAX_CONTACT_ATTRIBUTE_BYTES:
            raise BranchError("NoMatchingError", f"contact attributes would be {size} bytes (> 32,768)")
        run.attributes = merged  # all or nothing
        return Outcome(NEXT, ", ".join(sorted(updates)))

    def _update_flow_attributes(self, step: Step) -> Outcome:
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
            except BranchError as exc:
                self._fail_or_raise(run, action, exc.detail)
        run.flow_attributes.update(updates)
        return Outcome(NEXT, ", ".join(sorted(updates)))

    def _update_contact_target_queue(self, step: Step) -> Outcome:
        run, action, params = step.run, step.action, step.params
        has_queue, has_agent = "QueueId" in params, "AgentId" in params
        if has_queue == has_agent:
            raise SimulationError(f"{self._where(run, action)}: exactly one of QueueId, AgentId is required")
        name = "QueueId" if has_queue else "AgentId"
        arn = self._queue(run, self._value(run, action, name, params[name]), agent=has_agent)
        run.target_queue = arn
        run.target_queue_name = self.options.queue_names.get(arn)
        return Outcome(NEXT, arn)

    def _transfer_contact_to_queue(self, step: Step) -> Outcome:
        run = step.run
        queue = run.target_queue
        if not queue:
            raise BranchError("NoMatchingError", "no working queue set")
        if self._at_capacity(run, queue):
            raise BranchError("QueueAtCapacity", queue)
        run.transferred_queue = queue
        return Outcome(TRANSFERRED, queue)

    def _update_contact_routing_behavior(self, step: Step) -> Outcome:
        run, action, params = step.run, step.action, step.params
        has_priority, has_age = "QueuePriority" in params, "QueueTimeAdjustmentSeconds" in params
        if has_priority == has_age:
            raise SimulationError(
                f"{self._where(run, action)}: exactly one of QueuePriority, QueueTimeAdjustmentSeconds is required"
            )
        if has_priority:
            run.priority = self._static_int(run, action, params, "QueuePriority", low=1, high=2**31 - 1)
            return Outcome(NEXT, f"priority {run.priority}")
        raw = params.get("QueueTimeAdjustmentSeconds")
        if not isinstance(raw, str) or not re.fullmatch(r"-?\d+", raw):
            raise SimulationError(f"{self._where(run, action)}: QueueTimeAdjustmentSeconds must be a static integer")
        run.time_adjustment = int(raw)
        return Outcome(NEXT, f"age +{run.time_adjustment}s")

    def _check_hours_of_operation(self, step: Step) -> Outcome:
        run, action, params = step.run, step.action, step.params
        hours_id: str | None = None
        if "HoursOfOperationId" in params:
            hours_id = self._value(run, action, "HoursOfOperationId", params["HoursOfOperationId"]) or None
        if hours_id is None and not run.target_queue:
            raise BranchError("NoMatchingError", "no hours given and no working queue")
        answer = self.hours.is_open(hours_id, run.target_queue, run.contact)
        if answer is None:
            raise BranchError("NoMatchingError", "hours unknown")
        wanted = "True" if answer else "False"
        label = self._first_condition(run, action, wanted)
        if label is None:
            raise SimulationError(f"{self._where(run, action)}: no condition for Equals {wanted}")
        return Outcome(label, f"open={answer}")

    def _message_participant(self, step: Step) -> Outcome:
        self._prompt(step.run, step.action, step.params, required=True)
        return Outcome(NEXT)

    def _get_participant_input(self, step: Step) -> Outcome:
        run, action, params = step.run, step.action, step.params
        store = stores_input(action)
        if store and run.contact.channel != "VOICE":
            raise BranchError("NoMatchingError", f"storing input is voice-only ({run.contact.channel})")
        if "InputTimeLimitSeconds" in params:
            self._static_int(run, action, params, "InputTimeLimitSeconds", low=1, high=180)
        self._prompt(run, action, params, required=False)
        script = run.contact.inputs
        answer = script[run.input_cursor] if run.input_cursor < len(script) else None
        run.input_cursor += 1
        if answer is None or answer.kind == "timeout":
            if store:  # store mode has no timeout error: success, with the literal value "Timeout" stored
                run.stored_input = "Timeout"
                return Outcome(NEXT, "no input: Timeout stored")
            raise BranchError("InputTimeLimitExceeded", "no input")
        value = answer.value
        dtmf = params.get("DTMFConfiguration")
        terminator = dtmf.get("InputTerminationSequence", "#") if isinstance(dtmf, Mapping) else "#"
        if answer.kind == "dtmf" and terminator and value.endswith(terminator):
            value = value[: -len(terminator)]
        if store:
            run.stored_input = self._validated_input(run, action, params, value)
            return Outcome(NEXT, f"stored {len(run.stored_input)} chars")
        label = self._first_condition(run, action, value)
        if label is None:
            raise BranchError("NoMatchingCondition", f"input {value!r}")
        return Outcome(label, f"input {value!r}")

    def _validated_input(self, run: RunState, action: Mapping[str, Any], params: Mapping[str, Any], value: str) -> str:
        validation = params.get("InputValidation")
        if not isinstance(validation, Mapping):
            return value
        custom = validation.get("CustomValidation")
        if isinstance(custom, Mapping):  # the lint accepts it, so the simulator runs it: longer input is an error
            limit = self._static_int(run, action, custom, "MaximumLength", low=1, high=2**31 - 1)
            if len(value) > limit:
                raise BranchError("NoMatchingError", f"input longer than MaximumLength {limit}")
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
            if not E164.match(candidate):
                raise BranchError(invalid, "input is not an E.164 number")
            return candidate
        if number_format == "Local" and phone.get("CountryCode") in ("US", "CA"):
            digits = value[1:] if len(value) == 11 and value.startswith("1") else value
            if not (len(digits) == 10 and digits.isdigit() and digits[0] in "23456789"):
                raise BranchError(invalid, "input is not a 10-digit NANP number")
            return f"+1{digits}"
        if number_format == "Local" and isinstance(phone.get("CountryCode"), str):
            return local_number(value, str(phone["CountryCode"]), invalid)
        raise SimulationError(f"{self._where(run, action)}: PhoneNumberValidation {dict(phone)!r} is not simulated")

    def _update_contact_callback_number(self, step: Step) -> Outcome:
        run, action, params = step.run, step.action, step.params
        raw = params.get("CallbackNumber")
        if not is_reference(raw):
            raise SimulationError(f"{self._where(run, action)}: CallbackNumber must be a reference, not static")
        value = resolve(str(raw), self._data(run))
        number = as_text(value).strip()
        faults = run.contact.faults
        if faults.invalid_callback_number or not E164.match(number):
            raise BranchError("InvalidCallbackNumber", f"{raw}={number!r}")
        prefixes = self.options.dialable_prefixes
        if faults.undialable_callback_number or (prefixes is not None and not number.startswith(prefixes)):
            raise BranchError("CallbackNumberNotDialable", number)
        run.callback_number = number
        return Outcome(NEXT, number)

    def _create_callback_contact(self, step: Step) -> Outcome:
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
            raise BranchError("NoMatchingError", f"callbacks are voice-only ({run.contact.channel})")
        if not queue:
            raise BranchError("NoMatchingError", "no queue for the callback")
        number = run.callback_number or run.contact.customer_number
        if not number:
            raise BranchError("NoMatchingError", "no callback number")
        if self._at_capacity(run, queue):
            raise BranchError("NoMatchingError", f"{queue} at capacity")
        run.callback = CallbackRequest(number, queue, delay, attempts, retry_delay)
        return Outcome(NEXT, f"callback to {number} via {queue}")

    def _transfer_to_flow(self, step: Step) -> Outcome:
        run, action, params = step.run, step.action, step.params
        flow_id = self._value(run, action, "ContactFlowId", params.get("ContactFlowId", ""))
        name = self.flow_ids.get(flow_id, flow_id)
        target = self.flows.get(name)
        if target is None:
            raise BranchError("NoMatchingError", f"no flow {flow_id!r}")
        run.next_flow = target
        return Outcome(TRANSFERRED_TO_FLOW, target.name)

    def _disconnect_participant(self, step: Step) -> Outcome:  # noqa: ARG002 — uniform handler signature
        return Outcome(DISCONNECTED)

    def _end_flow_execution(self, step: Step) -> Outcome:  # noqa: ARG002 — uniform handler signature
        return Outcome(ENDED)

    def _update_flow_logging_behavior(self, step: Step) -> Outcome:
        run, action, params = step.run, step.action, step.params
        behavior = params.get("FlowLoggingBehavior")
        if behavior not in ("Enabled", "Disabled"):
            raise SimulationError(f"{self._where(run, action)}: FlowLoggingBehavior must be Enabled or Disabled")
        return Outcome(NEXT, str(behavior))

    def _fail_or_raise(self, run: RunState, action: Mapping[str, Any], detail: str) -> None:
        """Leave by NoMatchingError when the action declares it; without the branch the failure is a flow bug."""
        if error_target(action, "NoMatchingError") is not None:
            raise BranchError("NoMatchingError", detail)
        raise SimulationError(f"{self._where(run, action)}: {detail} (and no NoMatchingError branch)")

    def _tag_contact(self, step: Step) -> Outcome:
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
            except BranchError as exc:
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
        return Outcome(NEXT, ", ".join(sorted(updates)))

    def _update_contact_routing_criteria(self, step: Step) -> Outcome:
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
            raise BranchError("NoMatchingError", problem)
        assert isinstance(steps, list)
        run.routing_criteria = {"Steps": copy.deepcopy(steps)}
        return Outcome(NEXT, f"{len(steps)} step(s)")

    def _update_contact_text_to_speech_voice(self, step: Step) -> Outcome:
        run, action, params = step.run, step.action, step.params
        voice = self._value(run, action, "TextToSpeechVoice", params.get("TextToSpeechVoice", ""))
        if not re.fullmatch(r"[A-Z][A-Za-z]{1,31}", voice):  # a Polly voice name (Joanna, Lupe…)
            raise BranchError("NoMatchingError", f"not a voice: {voice!r}")
        run.voice = voice
        return Outcome(NEXT, voice)


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
