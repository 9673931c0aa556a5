"""InvokeLambdaFunction: the handler called in-process with Connect's event, retried as Connect documents for
function errors (up to 3 retries within 8 s), a timeout or an unparseable reply taking the error branch at once."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trunkline.simulator.actions import NEXT
from trunkline.simulator.core import SimulatorCore
from trunkline.simulator.lambdas import (
    FakeLambdaContext,
    LambdaHandler,
    apply_reply_fault,
    build_event,
    function_name,
    validate_reply,
)
from trunkline.simulator.model import FaultKind, LambdaAttempt, LambdaFault, LambdaInvocation, SimulationError
from trunkline.simulator.state import RETRY_BUDGET_SECONDS, BranchError, Outcome, RunState, Step


@dataclass(frozen=True, slots=True)
class _Invocation:
    """What the block's Parameters ask for: the function, its time limit, the reply type and the parameters."""

    arn: str
    handler: LambdaHandler
    limit: int
    response_type: str
    parameters: dict[str, str]


class LambdaBlock(SimulatorCore):
    """The InvokeLambdaFunction block."""

    def _invoke_lambda_function(self, step: Step) -> Outcome:
        run, action = step.run, step.action
        call = self._invocation(step)
        event = build_event(
            run.contact,
            attributes=run.attributes,
            queue_arn=run.target_queue,
            queue_name=run.target_queue_name,
            parameters=call.parameters,
        )
        attempts, reply = self._attempts(run, call, event)
        succeeded = attempts[-1].outcome == "ok"
        run.invocations.append(
            LambdaInvocation(
                flow=run.flow.name,
                identifier=str(action["Identifier"]),
                function_arn=call.arn,
                parameters=call.parameters,
                attempts=tuple(attempts),
                succeeded=succeeded,
                reply=dict(reply) if isinstance(reply, Mapping) else None,
            )
        )
        if not succeeded:
            raise BranchError(
                "NoMatchingError", f"{len(attempts)} attempt(s): {attempts[-1].outcome}: {attempts[-1].error}"
            )
        # $.External is overwritten by each successful invocation
        run.external = dict(reply) if isinstance(reply, Mapping) else {}
        return Outcome(NEXT, f"{len(attempts)} attempt(s)")

    def _invocation(self, step: Step) -> _Invocation:
        """The block's Parameters checked as Connect would at publish time (``SimulationError`` otherwise)."""
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
        return _Invocation(arn, handler, limit, str(response_type), parameters)

    def _attempts(self, run: RunState, call: _Invocation, event: dict[str, Any]) -> tuple[list[LambdaAttempt], object]:
        """Call the handler until it answers, or the retries or their 8 s run out; the last attempt says how it
        ended (``ok`` with the reply, else error, timeout or invalid_reply with None)."""
        fault = run.contact.faults.lambda_fault_for(call.arn)
        attempts: list[LambdaAttempt] = []
        budget_start = self.clock()
        for _ in range(1 + self.options.lambda_retries):
            if attempts and self.clock() - budget_start > RETRY_BUDGET_SECONDS:
                break
            call_number = run.calls_by_function.get(call.arn, 0)
            run.calls_by_function[call.arn] = call_number + 1
            active = fault if fault and (fault.attempts is None or call_number < fault.attempts) else None
            attempt, reply = self._attempt(call, event, active)
            attempts.append(attempt)
            if attempt.outcome != "error":  # only a function error is retried
                return attempts, reply
        return attempts, None

    def _attempt(
        self, call: _Invocation, event: dict[str, Any], active: LambdaFault | None
    ) -> tuple[LambdaAttempt, object]:
        """One call of the handler (or of the injected fault in its place)."""
        if active is not None and active.kind is FaultKind.ERROR:
            return LambdaAttempt("error", 0.0, "injected function error"), None
        context = FakeLambdaContext(function_name(call.arn), call.arn, float(call.limit))
        started = self.clock()
        try:
            candidate = call.handler(copy.deepcopy(event), context)
        except Exception as exc:  # noqa: BLE001 — any handler exception is a Lambda function error
            return LambdaAttempt("error", (self.clock() - started) * 1000, repr(exc)), None
        latency_ms = (self.clock() - started) * 1000
        if active is not None and active.kind is FaultKind.TIMEOUT:
            return LambdaAttempt("timeout", latency_ms, f"injected: ran past {call.limit}s"), None
        if self.options.enforce_measured_timeout and latency_ms > call.limit * 1000:
            return LambdaAttempt("timeout", latency_ms, f"took {latency_ms:.0f} ms > {call.limit}s"), None
        if active is not None:
            candidate = apply_reply_fault(candidate, active.kind)
        problem = validate_reply(candidate, call.response_type)
        if problem:
            return LambdaAttempt("invalid_reply", latency_ms, problem), None
        return LambdaAttempt("ok", latency_ms), candidate
