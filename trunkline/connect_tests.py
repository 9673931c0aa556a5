"""Export flow-simulator scenarios as Amazon Connect test cases (the testing language, ``CreateTestCase``).

One simulated run becomes one test case: the same entry (flow, channel, caller number, contact attributes), the
caller's input, every Lambda result the run used mocked (``OverrideSystemBehavior`` at ``TestInitiated``, in
order), hours overridden when the flow checks them, a queue marked full when the run found it full, then one
observation per prompt heard and, for a queued contact, the transfer with assertions on the queue and attributes
(the test ends there, so it never reaches a live agent). Facts and sources: ../shared/reference/connect-testing.md.

A run that needs what Connect's testing cannot reproduce (a prompt forced to fail, a simulator option, a transfer
flow entered from an agent's quick connect…) is returned as ``Skipped`` with the reason: a real instance cannot
prove it, the simulator must (docs/flows.md, "Simulator and real instance").

Exported files hold placeholders the stack fills per region (``stacks.constructs.connect_tests``):
``%InstanceArn%`` and ``%DefaultQueueId%`` inside strings, and whole-value ``%RouteFunctionArn%``,
``%CallbackFunctionArn%`` and ``%FlowArn:<flow>%`` (the flow tokens of ``stacks.constructs.connect``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from trunkline.simulator import Contact, EndReason, SimulationResult, TraceStep
from trunkline.simulator.actions import NEXT

VERSION = "2019-10-30"  # the only Version the current docs (D-ex, D-obs) use
INSTANCE = "%InstanceArn%"
DEFAULT_QUEUE = "%DefaultQueueId%"
LITERAL_PLACEHOLDERS = (INSTANCE, DEFAULT_QUEUE)
MAX_NAME = 100  # CreateTestCase allows 127; leave room for the deployment prefix (``trunkline-prod-``)
INJECTED = "injected fault"
# Errors an OverrideSystemBehavior MockResponse can produce, per flow action type (D-ovr).
MOCKABLE_ERRORS = {
    "InvokeLambdaFunction": {"NoMatchingError"},
    "TransferContactToQueue": {"QueueAtCapacity", "NoMatchingError"},
    "CheckHoursOfOperation": {"NoMatchingError"},
}


@dataclass(frozen=True, slots=True)
class ExportedCase:
    """One Connect test case, with placeholders; ``document()`` is what ``export-tests`` writes."""

    name: str
    description: str
    entry_point: dict[str, Any]
    content: dict[str, Any]
    initialization_data: dict[str, Any] | None = None

    def document(self) -> dict[str, Any]:
        """The file form: CreateTestCase's fields minus the instance, Content and InitializationData as objects."""
        out: dict[str, Any] = {"Name": self.name, "Description": self.description, "EntryPoint": self.entry_point}
        if self.initialization_data is not None:
            out["InitializationData"] = self.initialization_data
        out["Content"] = self.content
        return out


@dataclass(frozen=True, slots=True)
class Skipped:
    """A scenario with no faithful Connect test case, and why."""

    name: str
    reason: str


class NotExportableError(Exception):
    """Raised inside the exporter; becomes a ``Skipped``."""


@dataclass
class _Builder:
    """Collects the observations of one case."""

    overrides: list[dict[str, Any]] = field(default_factory=list)
    observations: list[dict[str, Any]] = field(default_factory=list)

    def observe(self, identifier: str, event: dict[str, Any], actions: list[dict[str, Any]]) -> None:
        self.observations.append({"Identifier": identifier, "Event": event, "Actions": actions})

    def content(self) -> dict[str, Any]:
        start = {"Identifier": "TestStart", "Type": "TestInitiated", "Actor": "System", "Properties": {}}
        chain = [{"Identifier": "00-start", "Event": start, "Actions": self.overrides}, *self.observations]
        for index, (observation, following) in enumerate(zip(chain, [*chain[1:], None], strict=True)):
            for position, action in enumerate(observation["Actions"]):  # identifiers unique in the whole case
                action["Identifier"] = f"{index:02d}.{position:02d}-{action['Identifier']}"
            _link(observation["Actions"])
            nxt = [following["Identifier"]] if following is not None else []
            observation["Transitions"] = {"NextObservations": nxt}
        return {"Version": VERSION, "Metadata": {"source": "trunkline flows export-tests"}, "Observations": chain}


def _link(actions: list[dict[str, Any]]) -> None:
    for position, action in enumerate(actions):
        following = actions[position + 1] if position + 1 < len(actions) else None
        action["Transitions"] = {"NextAction": following["Identifier"]} if following is not None else {}


def _override(ident: str, action_type: str, parameters: dict[str, str], response: dict[str, Any]) -> dict[str, Any]:
    strategy = {"Type": "MockResponse", "Response": response}
    behavior = {"ActionType": action_type, "ActionParameters": parameters, "Strategy": strategy}
    return {
        "Identifier": ident,
        "Type": "OverrideSystemBehavior",
        "Parameters": {
            "ActionType": "OverrideSystemBehavior",
            "Behavior": {"Type": "FlowAction", "Properties": behavior},
        },
    }


def _error(value: str) -> dict[str, Any]:
    return {"Type": "Error", "Error": {"Value": value}}


def _assert(ident: str, namespace: str, operand: str) -> dict[str, Any]:
    return {
        "Identifier": ident,
        "Type": "Assert",
        "Parameters": {"Namespace": namespace, "Operator": "Equals", "Operand": operand},
    }


END_TEST = {"Type": "TestControl", "Parameters": {"ActionType": "TestControl", "Command": {"Type": "EndTest"}}}


class _Rewriter:
    """Simulator values → placeholders: function ARNs, the instance, queue ids (mapped to config/'s by key)."""

    def __init__(
        self,
        instance_arn: str,
        functions: Mapping[str, str],
        queue_ids: Mapping[str, str],
        default_queue_id: str,
        replies: Sequence[Mapping[str, object]],
    ) -> None:
        self.instance = instance_arn
        self.functions = functions
        self.default_queue_id = default_queue_id
        self.known_ids = set(queue_ids.values())
        # A reply names a queue by key and by ARN: the ARN is the simulator's, the key's id is the real one.
        self.by_arn: dict[str, str] = {}
        for reply in replies:
            key, arn = reply.get("queue_key"), reply.get("queue_arn")
            if isinstance(key, str) and isinstance(arn, str) and key in queue_ids:
                self.by_arn.setdefault(arn, queue_ids[key])
        self.queue = re.compile(re.escape(instance_arn) + r"/queue/([A-Za-z0-9-]+)")

    def function(self, arn: str) -> str:
        if arn not in self.functions:
            raise NotExportableError(f"the flow invokes {arn}, which the stack does not provide")
        return f"%{self.functions[arn]}%"

    def text(self, value: str) -> str:
        def queue(match: re.Match[str]) -> str:
            arn, queue_id = match.group(0), match.group(1)
            real = self.by_arn.get(arn, queue_id)
            if real == self.default_queue_id:
                return f"{INSTANCE}/queue/{DEFAULT_QUEUE}"
            if real not in self.known_ids:
                raise NotExportableError(f"queue {queue_id} is neither a queue of config/ nor the default queue")
            return f"{INSTANCE}/queue/{real}"

        return self.queue.sub(queue, value).replace(self.instance, INSTANCE)

    def reply(self, reply: Mapping[str, object]) -> dict[str, object]:
        """A Lambda reply with real queues: ``queue_id`` follows ``queue_arn`` to config/'s queue of that key."""
        out = {k: self.value(v) for k, v in reply.items()}
        arn = reply.get("queue_arn")
        if isinstance(arn, str) and arn in self.by_arn and "queue_id" in out:
            real = self.by_arn[arn]
            out["queue_id"] = DEFAULT_QUEUE if real == self.default_queue_id else real
        return out

    def value(self, node: object) -> object:
        if isinstance(node, str):
            return self.text(node)
        if isinstance(node, Mapping):
            return {k: self.value(v) for k, v in node.items()}
        if isinstance(node, list):
            return [self.value(v) for v in node]
        return node


def _entry(flow: str, contact: Contact) -> tuple[dict[str, Any], dict[str, Any] | None]:
    if contact.initiation_method != "INBOUND" or contact.queue_arn:
        raise NotExportableError(f"a test case starts a new inbound contact, not a {contact.initiation_method} one")
    flow_id = f"%FlowArn:{flow}%"
    if contact.channel == "VOICE":
        # FlowId only: a DestinationPhoneNumber beside FlowId is refused (3P-FAC), and the CloudFormation schema's
        # SourcePhoneNumber pattern is double-escaped (CDK's template validation F3031 rejects every E.164
        # number). The caller's number matters to the route function, and the case mocks its reply.
        entry: dict[str, Any] = {"Type": "VOICE_CALL", "VoiceCallEntryPointParameters": {"FlowId": flow_id}}
    elif contact.channel == "CHAT":
        entry = {"Type": "CHAT", "ChatEntryPointParameters": {"FlowId": flow_id}}
    else:
        raise NotExportableError(f"Connect test cases enter VOICE_CALL or CHAT contacts, not {contact.channel}")
    attributes = dict(contact.attributes)
    return entry, ({"Attributes": attributes} if attributes else None)


def _mocks(result: SimulationResult, rewrite: _Rewriter) -> list[dict[str, Any]]:
    """One override per InvokeLambdaFunction the run executed, in order (overrides of a resource queue FIFO)."""
    out = []
    for number, invocation in enumerate(result.invocations, 1):
        params = {"LambdaFunctionARN": rewrite.function(invocation.function_arn)}
        last = invocation.attempts[-1].outcome if invocation.attempts else "error"
        if invocation.succeeded and invocation.reply is not None:
            loaded = json.dumps(rewrite.reply(invocation.reply), separators=(",", ":"), sort_keys=True)
            response: dict[str, Any] = {
                "Type": "ExecutionResult",
                "ExecutionResult": {"DelaySeconds": 0, "LoadedData": loaded},
            }
        elif last == "timeout":
            response = _error("TimeLimitExceeded")
        elif last == "error":
            response = _error("NoMatchingError")
        else:
            raise NotExportableError(f"{invocation.identifier}: a reply Connect would reject ({last}) cannot be mocked")
        out.append(_override(f"mock-lambda-{number:02d}", "InvokeLambdaFunction", params, response))
    return out


def _step_overrides(step: TraceStep, flows: Mapping[str, Any], queue: str | None, rewrite: _Rewriter) -> list[Any]:
    """Overrides a trace step needs (hours, a full queue); ``NotExportableError`` for a failure Connect cannot fake."""
    injected = step.detail == INJECTED
    if step.type == "CheckHoursOfOperation":
        params = (flows[step.flow].actions[step.identifier].get("Parameters") or {}) if step.flow in flows else {}
        hours = params.get("HoursOfOperationId")
        if not isinstance(hours, str) or not hours:
            raise NotExportableError(f"{step.identifier}: the working queue's hours cannot be overridden without an id")
        params = {"HoursOfOperationId": rewrite.text(hours)}
        if step.branch == "NoMatchingError":
            response = _error("NoMatchingError")
        else:
            opened = step.detail == "open=True"
            response = {"Type": "ExecutionResult", "ExecutionResult": {"Value": "InHours" if opened else "OutOfHours"}}
        return [_override(f"mock-hours-{step.identifier}", "CheckHoursOfOperation", params, response)]
    if step.type == "TransferContactToQueue" and step.branch in MOCKABLE_ERRORS["TransferContactToQueue"]:
        full = step.detail if step.branch == "QueueAtCapacity" and not injected else queue
        if not full:
            raise NotExportableError(f"{step.identifier}: no working queue to mark {step.branch}")
        return [
            _override(
                f"mock-queue-{step.identifier}",
                "TransferContactToQueue",
                {"QueueId": rewrite.text(full)},
                _error(step.branch),
            )
        ]
    if injected and step.type not in MOCKABLE_ERRORS:
        raise NotExportableError(f"{step.identifier} ({step.type}) cannot be made to fail on a real instance")
    return []


def export_case(
    *,
    name: str,
    flow: str,
    flows: Mapping[str, Any],
    contact: Contact,
    result: SimulationResult,
    attributes: Mapping[str, str],
    functions: Mapping[str, str],
    queue_ids: Mapping[str, str],
    default_queue_id: str,
) -> ExportedCase | Skipped:
    """The test case of one simulated run (``result`` of ``contact`` in ``flow``), or why there is none.

    ``functions`` maps the simulator's function ARNs to token names (``RouteFunctionArn``…); ``queue_ids`` maps
    config/ queue keys to queue ids; ``attributes`` are the contact attributes the case asserts on a transfer.
    """
    case_name = f"{flow}-{name}"[:MAX_NAME]
    try:
        return _export(
            case_name=case_name,
            flow=flow,
            flows=flows,
            contact=contact,
            result=result,
            attributes=attributes,
            rewrite=_Rewriter(
                contact.instance_arn,
                functions,
                queue_ids,
                default_queue_id,
                [i.reply for i in result.invocations if i.reply is not None],
            ),
        )
    except NotExportableError as why:
        return Skipped(case_name, str(why))


def _export(
    *,
    case_name: str,
    flow: str,
    flows: Mapping[str, Any],
    contact: Contact,
    result: SimulationResult,
    attributes: Mapping[str, str],
    rewrite: _Rewriter,
) -> ExportedCase:
    flow_type = _flow_type(flows.get(flow))
    if flow_type != "CONTACT_FLOW":
        raise NotExportableError(f"a test case enters an inbound (CONTACT_FLOW) flow, not a {flow_type} flow")
    faults = contact.faults
    if faults.invalid_callback_number or faults.undialable_callback_number:
        raise NotExportableError("a callback number Connect refuses cannot be forced on a real instance")
    if result.callback is not None:
        # CreateCallbackContact cannot be mocked, and a test cannot end before it: a real callback would reach an
        # agent's queue and dial the number. The simulator proves this path; a person tests it on a test line.
        raise NotExportableError(
            "it creates a real callback (an agent would be offered it); CreateCallbackContact cannot be mocked"
        )
    entry, init = _entry(flow, contact)
    builder = _Builder(overrides=_mocks(result, rewrite))
    messages = list(result.messages)
    inputs = iter(contact.inputs)
    queue: str | None = None
    for step in result.trace:
        builder.overrides.extend(_step_overrides(step, flows, queue, rewrite))
        if step.type == "UpdateContactTargetQueue" and step.branch == NEXT:
            queue = step.detail
        if step.type not in ("MessageParticipant", "GetParticipantInput"):
            continue
        heard = messages[0] if messages and messages[0].identifier == step.identifier else None
        if heard is not None:
            messages.pop(0)
        answer = next(inputs, None) if step.type == "GetParticipantInput" else None
        actions = _answer(answer, contact)
        if heard is None:
            if actions:
                raise NotExportableError(f"{step.identifier}: input is collected without a prompt to answer")
            continue
        number = len(builder.observations) + 1
        event: dict[str, Any] = {"Identifier": f"evt-{number:02d}", "Type": "MessageReceived", "Actor": "System"}
        event["Properties"] = {heard.kind: rewrite.text(heard.text), "MatchingCriteria": {"Type": "Similarity"}}
        builder.observe(f"{number:02d}-{step.identifier}", event, actions)
    _finish(builder, result, attributes, rewrite)
    return ExportedCase(case_name, _description(flow, case_name, result), entry, builder.content(), init)


def _answer(answer: Any, contact: Contact) -> list[dict[str, Any]]:
    if answer is None or answer.kind == "timeout":
        return []  # silence: Connect's own input timeout runs
    if answer.kind == "dtmf":
        instruction: dict[str, Any] = {"Type": "DtmfInput", "Properties": {"Value": answer.value}}
    else:
        instruction = {
            "Type": "Utterance",
            "Properties": {"Text": answer.value, "LanguageCode": contact.language_code or "en-US"},
        }
    parameters = {"ActionType": "SendInstruction", "Actor": "Customer", "Instruction": instruction}
    return [{"Identifier": "answer", "Type": "SendInstruction", "Parameters": parameters}]


def _finish(builder: _Builder, result: SimulationResult, attributes: Mapping[str, str], rewrite: _Rewriter) -> None:
    """End the case: at the transfer (asserting queue and attributes), or after the last prompt heard."""
    end = {"Identifier": "end", **END_TEST}
    if result.end_reason is EndReason.TRANSFERRED_TO_QUEUE and result.queue_arn:
        queue = rewrite.text(result.queue_arn)
        event: dict[str, Any] = {"Identifier": "evt-transfer", "Type": "FlowActionStarted", "Actor": "System"}
        event["Properties"] = {"ActionType": "TransferContactToQueue", "ActionParameters": {"QueueId": queue}}
        checks = [_assert("queue", "$.Queue.ARN", queue)]
        for index, key in enumerate(sorted(attributes)):
            checks.append(
                _assert(f"attribute-{index:02d}", f"$.Attributes.{key}", rewrite.text(result.attributes[key]))
            )
        builder.observe(f"{len(builder.observations) + 1:02d}-transferred", event, [*checks, end])
        return
    if not builder.observations:
        raise NotExportableError("the contact ends without a prompt or transfer a test could observe")
    builder.observations[-1]["Actions"].append(end)


def _flow_type(flow: Any) -> str:
    document = getattr(flow, "document", None)
    if not isinstance(document, Mapping):
        return "CONTACT_FLOW"
    return str(((document.get("Metadata") or {}).get("trunkline") or {}).get("flowType", "CONTACT_FLOW"))


def _description(flow: str, name: str, result: SimulationResult) -> str:
    outcome = "is queued" if result.transferred else "hears its prompts and the call ends"
    return f"Simulator scenario {name} ({flow} flow): the contact {outcome}. Written by trunkline flows export-tests."[
        :500
    ]
