"""``SimulatorCore``: what every simulated block reads — the flows, handlers and options, the contact's data as
flow references see it (``$.External``, ``$.Attributes`` …), parameter values, queues and prompts."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from trunkline.simulator.actions import condition_label
from trunkline.simulator.flow import Flow
from trunkline.simulator.hours import ALWAYS_OPEN, HoursOracle
from trunkline.simulator.lambdas import LambdaHandler
from trunkline.simulator.model import PlayedMessage, SimulationError
from trunkline.simulator.paths import MISSING, as_text, interpolate, is_reference, resolve
from trunkline.simulator.state import (
    AGENT_ARN,
    PROMPT_KINDS,
    QUEUE_ARN,
    RESOURCE_ID,
    BranchError,
    RunState,
    SimulatorOptions,
)


class SimulatorCore:
    """State and helpers shared by the block implementations (``blocks``, ``invoke``) and ``FlowSimulator``."""

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

    def _where(self, run: RunState, action: Mapping[str, Any]) -> str:
        return f"flow {run.flow.name!r} action {action.get('Identifier')!r} ({action.get('Type')})"

    def _data(self, run: RunState) -> dict[str, Any]:
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

    def _value(self, run: RunState, action: Mapping[str, Any], name: str, raw: object) -> str:
        """A parameter value: static string, or one whole reference resolved per the missing-reference policy."""
        if not isinstance(raw, str):
            raise SimulationError(
                f"{self._where(run, action)}: parameter {name} must be a string (numbers too), got {raw!r}"
            )
        if not is_reference(raw):
            return raw
        value = resolve(raw, self._data(run))
        if value is MISSING and self.options.missing_reference == "error":
            raise BranchError("NoMatchingError", f"{name}: {raw} is not set")
        return as_text(value)

    def _static_int(
        self, run: RunState, action: Mapping[str, Any], params: Mapping[str, Any], name: str, *, low: int, high: int
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

    def _queue(self, run: RunState, value: str, *, agent: bool = False) -> str:
        """A queue (or agent queue) id/ARN as the ARN Connect would use; ``BranchError`` if it cannot be one."""
        instance = run.contact.instance_arn
        if not value:
            raise BranchError("NoMatchingError", "empty queue")
        pattern = AGENT_ARN if agent else QUEUE_ARN
        match = pattern.match(value)
        if match:
            if match.group(1) != instance:
                raise BranchError("NoMatchingError", f"{value} belongs to another instance")
            arn = value
        elif RESOURCE_ID.match(value):
            arn = f"{instance}/{'agent' if agent else 'queue'}/{value}"
        else:
            raise BranchError("NoMatchingError", f"not a queue id or ARN: {value!r}")
        known = self.options.known_queue_arns
        if not agent and known is not None and arn not in known:
            raise BranchError("NoMatchingError", f"no such queue: {arn}")
        return arn

    def _at_capacity(self, run: RunState, queue_arn: str) -> bool:
        full = run.contact.faults.queues_at_capacity
        return queue_arn in full or queue_arn.rsplit("/", 1)[-1] in full

    def _prompt(self, run: RunState, action: Mapping[str, Any], params: Mapping[str, Any], *, required: bool) -> None:
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
            raise BranchError("NoMatchingError", f"{kind} prompts are voice-only ({run.contact.channel})")
        if is_reference(raw) or kind == "PromptId":
            text = self._value(run, action, kind, raw)
        else:
            text, missing = interpolate(raw, self._data(run))
            if missing and self.options.missing_reference == "error":
                raise BranchError("NoMatchingError", f"{kind} references unset {', '.join(missing)}")
        if not text.strip():
            raise BranchError("NoMatchingError", f"{kind} is empty")
        run.messages.append(PlayedMessage(run.flow.name, str(action["Identifier"]), text, PROMPT_KINDS[kind]))

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

    def _first_condition(self, run: RunState, action: Mapping[str, Any], value: str) -> str | None:
        transitions = action.get("Transitions")
        conditions = transitions.get("Conditions") if isinstance(transitions, Mapping) else None
        for cond in conditions or []:
            condition = cond.get("Condition") if isinstance(cond, Mapping) else None
            if not isinstance(condition, Mapping):
                raise SimulationError(f"{self._where(run, action)}: malformed condition {cond!r}")
            if self._matches(condition.get("Operator"), condition.get("Operands"), value):
                return condition_label(condition)
        return None
