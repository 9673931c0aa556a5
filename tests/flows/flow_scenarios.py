"""Every path of every flow, as data: a contact, what the fake ``route`` answers, and what must happen.

The path tests run each scenario and check its expectations; the coverage test runs them all and checks that
together they take every reachable (action, branch) edge of every flow. A new branch in a flow without a scenario
here fails the coverage test.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from routing.route.criteria import REQUEST as CRITERIA_REQUEST
from routing.route.criteria import criteria_reply
from routing.route.prompts import DEFAULT_PROMPTS
from trunkline.simulator import (
    DEFAULT_INSTANCE_ARN,
    Contact,
    EndReason,
    FaultKind,
    Faults,
    FlowSimulator,
    LambdaFault,
    SimulationResult,
    SimulatorOptions,
    load_flows,
)

REPO = Path(__file__).resolve().parents[2]
FLOWS_DIR = REPO / "contact_flows"
ROUTE_ARN = "arn:aws:lambda:us-east-1:111122223333:function:trunkline-route:live"
CALLBACK_ARN = "arn:aws:lambda:us-east-1:111122223333:function:trunkline-callback:live"
INSTANCE = DEFAULT_INSTANCE_ARN
DEFAULT_QUEUE_ID = "59377141-43ff-5bfc-a267-5baa5a4b5551"
DEFAULT_QUEUE_ARN = f"{INSTANCE}/queue/{DEFAULT_QUEUE_ID}"
CARDS_QUEUE_ARN = f"{INSTANCE}/queue/2d6e8c0a-7d4b-5d3e-9f51-3a1c2b4d5e6f"
CONFIG_DEFAULT_QUEUE_ARN = f"{INSTANCE}/queue/0b8f7a6e-5d4c-4b3a-9f8e-7d6c5b4a3f2e"
RETENTION_QUEUE_ARN = f"{INSTANCE}/queue/0efebc36-015c-54fa-acf7-dc065e9360dc"
OTHER_INSTANCE_QUEUE_ARN = (
    "arn:aws:connect:us-west-2:111122223333:instance/9a9a9a9a-0000-4000-8000-000000000000/queue/abc"
)
TOKENS = {"RouteFunctionArn": ROUTE_ARN, "DefaultQueueArn": DEFAULT_QUEUE_ARN, "CallbackFunctionArn": CALLBACK_ARN}
KNOWN_TOKENS = frozenset(TOKENS)
CLOSED_TEXT = "Thank you for calling. We are closed right now. Our hours are 8 AM to 8 PM Eastern."
EMERGENCY_TEXT = "Due to severe weather our card services centre is closed."
ERROR_TEXT = "We are sorry, we are having trouble finding the right team. Please hold for the next available agent."


def route_reply(status: str = "ROUTED", **overrides: str) -> dict[str, str]:
    """A reply in the shape of docs/design/routing-core.md: every reserved key, then queue attributes."""
    routed = status in ("ROUTED", "DEFAULT", "ERROR_DEFAULT")
    reply = {
        "acsf_search_info": "card_number",
        "greeting_prompt": "cards_greeting",
        "status": status,
        "reason": {"ROUTED": "rule", "DEFAULT": "unknown_entry_point", "ERROR_DEFAULT": "no_config"}.get(
            status, f"{status.lower()}:cards_hours"
        ),
        "queue_key": "cards_general" if status == "ROUTED" else "general_default",
        "queue_id": CARDS_QUEUE_ARN.rsplit("/", 1)[-1],
        "queue_arn": {"ROUTED": CARDS_QUEUE_ARN, "DEFAULT": CONFIG_DEFAULT_QUEUE_ARN}.get(status, DEFAULT_QUEUE_ARN)
        if routed
        else CONFIG_DEFAULT_QUEUE_ARN,
        "queue_name": "Cards General",
        "classification": "card_servicing" if status == "ROUTED" else "unclassified",
        "rule_id": "cards.balance_ivr" if status == "ROUTED" else "",
        "ruleset": "cards",
        "config_version": "v000007",
        "config_source": "active",
        "priority": "5",
        "routing_criteria": "",
        "routing_criteria_steps": "0",
        "voice": "Joanna",
        **{f"prompt_{k}": v for k, v in DEFAULT_PROMPTS.items()},
        "line_of_business": "cards",
        "entry_point": "cards_main",
        "language": "en-US",
        "message": {"CLOSED": CLOSED_TEXT, "EMERGENCY": EMERGENCY_TEXT}.get(status, ""),
        "fallback_reason": "",
        "callback_offer": "false",
        "callback_reason": "",
        "callback_profile": "",
        "callback_wait_s": "",
        "metrics_age_s": "12",
    }
    reply.update(overrides)
    return reply


@dataclass
class FakeRoute:
    """A fake ``route`` handler: answers ``reply`` (or the result of calling it with the event); records events.

    The routing-criteria request (the flow's second, JSON call) is answered by the real ``routing.route.criteria`` and
    recorded apart, in ``criteria_events``.
    """

    reply: Mapping[str, Any] | Callable[[dict[str, Any]], Any] | None
    events: list[dict[str, Any]] = field(default_factory=list)
    criteria_events: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        parameters = event["Details"]["Parameters"]
        if parameters.get("trunkline_request") == CRITERIA_REQUEST:
            self.criteria_events.append(event)
            return criteria_reply(parameters)
        self.events.append(event)
        if callable(self.reply):
            return self.reply(event)
        return dict(self.reply or {})


@dataclass
class FakeCallback:
    """A fake ``callback`` function with the two-phase contract: ``reserve`` answers ``reply``, ``confirm``
    CONFIRMED, ``release`` RELEASED; ``actions`` records what the flow asked, in order."""

    reply: Mapping[str, Any]
    actions: list[str] = field(default_factory=list)

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        action = event["Details"]["Parameters"].get("action", "")
        self.actions.append(action)
        if action == "confirm":
            return {"callback_status": "CONFIRMED"}
        if action == "release":
            return {"callback_status": "RELEASED"}
        return dict(self.reply)


@dataclass(frozen=True)
class Scenario:
    """One contact through one flow, and what must come out."""

    name: str
    flow: str
    reply: Mapping[str, Any] | Callable[[dict[str, Any]], Any] | None
    end: EndReason
    queue: str | None
    must_visit: tuple[str, ...] = ()  # identifiers, in this order (not necessarily adjacent)
    must_not_visit: tuple[str, ...] = ()
    contact: Contact = field(default_factory=Contact)
    attributes: Mapping[str, str] = field(default_factory=dict)  # expected subset of final attributes
    messages: tuple[str, ...] | None = None  # exact messages, when given
    priority: int | str | None = "any"
    invocations: int | None = 1  # times the handler ran
    attempts: int | None = None  # attempts Connect made (injected failures included), when it matters
    options: SimulatorOptions | None = None
    callback_reply: Mapping[str, Any] | None = None  # what the fake ``callback`` function answers
    callback: tuple[str, int, int, int] | None = None  # expected (number, delay, attempts, retry delay)
    tags: Mapping[str, str] | None = None  # the contact's exact tags at the end, when given
    callback_actions: tuple[str, ...] | None = None  # what the flow asked the callback function, in order
    routing_criteria: Mapping[str, Any] | str | None = "any"  # what UpdateContactRoutingCriteria set, when given
    voice: str | Literal["any"] | None = "any"  # the text-to-speech voice set, when given

    def __str__(self) -> str:
        return f"{self.flow}:{self.name}"


@cache
def flows() -> dict[str, Any]:
    """The repository's flows, tokens filled (loaded once per test session)."""
    return load_flows(FLOWS_DIR, TOKENS)


def simulator(handler: Any, options: SimulatorOptions | None = None, callback: Any = None) -> FlowSimulator:
    """A simulator over the repository flows with ``handler`` as route (and ``callback`` as callback)."""
    lambdas = {ROUTE_ARN: handler}
    if callback is not None:
        lambdas[CALLBACK_ARN] = callback
    return FlowSimulator(flows(), lambdas=lambdas, options=options)


def run(scenario: Scenario) -> tuple[SimulationResult, FakeRoute]:
    """Run one scenario with a fresh fake route (and fake callback)."""
    result, fake, _ = run_with_callback(scenario)
    return result, fake


def run_with_callback(scenario: Scenario) -> tuple[SimulationResult, FakeRoute, FakeCallback | None]:
    """Run one scenario; also return the fake callback function (None when the scenario has none)."""
    fake = FakeRoute(scenario.reply)
    callback = FakeCallback(scenario.callback_reply) if scenario.callback_reply is not None else None
    result = simulator(fake, scenario.options, callback).run(scenario.flow, scenario.contact)
    return result, fake, callback


def _faults(**kwargs: Any) -> Contact:
    return Contact(faults=Faults(**kwargs))


def _forced(identifier: str, error: str = "NoMatchingError", **kwargs: Any) -> Contact:
    return Contact(faults=Faults(action_errors={identifier: error}, **kwargs))


def _lambda_fault(kind: FaultKind, attempts: int | None = None) -> Contact:
    return _faults(lambda_faults={ROUTE_ARN: LambdaFault(kind, attempts)})


OK_DEFAULT = ("ApologyDefaultRoute", "SetDefaultQueue", "TransferToDefaultQueue")
APOLOGY_ROUTE = (
    "We are sorry, we are having trouble finding the right team for you. "
    "Please stay on the line for the next available agent."
)
APOLOGY_FULL = (
    "All of the specialists for your request are busy right now. "
    "Please stay on the line and we will connect you with the next available agent."
)
APOLOGY_UNAVAILABLE = "We are sorry, we cannot take your call right now. Please try again later. Goodbye."
CLOSED_FALLBACK = "Thank you for contacting us. We are closed right now. Please contact us again during business hours."
EMERGENCY_FALLBACK = "We are temporarily closed due to an emergency. Please contact us again later."
STRICT = SimulatorOptions(missing_reference="error")
#: What TagDecision puts on a contact routed by ``route_reply()`` (docs/design/observability.md, decision tags).
DECISION_TAGS = {
    "trunkline:rule": "cards.balance_ivr",
    "trunkline:config": "v000007",
    "trunkline:lob": "cards",
    "trunkline:queue": "cards_general",
}
CALLBACK_TAGS = {**DECISION_TAGS, "trunkline:callback": "requested"}


def _shared_scenarios(flow: str, invoke: str, save: str, check: str, crm: str, set_queue: str) -> list[Scenario]:
    """The paths both flows share: closed, emergency, every failure and the default-queue path."""
    transferred, disconnected = EndReason.TRANSFERRED_TO_QUEUE, EndReason.DISCONNECTED
    routed = route_reply()
    tagged = flow in ("inbound", "transfer")  # both flows tag the decision (TagDecision, TagTransferDecision)

    def decision_tags(**tags: str) -> dict[str, str]:
        return {**DECISION_TAGS, **tags} if tagged else {}

    return [
        Scenario(
            "default_status_goes_to_the_configured_default",
            flow,
            route_reply("DEFAULT"),
            transferred,
            CONFIG_DEFAULT_QUEUE_ARN,
            must_visit=(invoke, save, check, crm, set_queue, "TransferToQueue"),
            attributes={"route_status": "DEFAULT"},
            messages=(),
        ),
        Scenario(
            "error_default_status_goes_to_the_deployment_default",
            flow,
            route_reply("ERROR_DEFAULT", queue_arn=DEFAULT_QUEUE_ARN),
            transferred,
            DEFAULT_QUEUE_ARN,
            must_visit=(check, set_queue, "TransferToQueue"),
            attributes={"route_status": "ERROR_DEFAULT"},
            messages=(),
        ),
        # The inbound flow plays defaults.error_message on ERROR_DEFAULT (an agent's transfer queues silently).
        *(
            [
                Scenario(
                    "error_default_plays_the_configured_apology",
                    flow,
                    route_reply("ERROR_DEFAULT", queue_arn=DEFAULT_QUEUE_ARN, message=ERROR_TEXT),
                    transferred,
                    DEFAULT_QUEUE_ARN,
                    must_visit=(check, "PlayErrorMessage", crm, set_queue, "TransferToQueue"),
                    attributes={"route_status": "ERROR_DEFAULT"},
                    messages=(ERROR_TEXT,),
                )
            ]
            if flow == "inbound"
            else []
        ),
        Scenario(
            "closed_plays_the_message_and_disconnects",
            flow,
            route_reply("CLOSED"),
            disconnected,
            None,
            must_visit=(check, "PlayClosedMessage", "DisconnectClosed"),
            must_not_visit=("PlayClosedFallback",),
            attributes={"route_status": "CLOSED", "config_version": "v000007"},
            messages=(CLOSED_TEXT,),
            tags=decision_tags(**{"trunkline:rule": "", "trunkline:queue": "general_default"}),  # no rule matched
        ),
        Scenario(
            "closed_without_message_plays_the_fallback",
            flow,
            route_reply("CLOSED", message=""),
            disconnected,
            None,
            must_visit=("PlayClosedMessage", "PlayClosedFallback", "DisconnectClosed"),
            messages=(CLOSED_FALLBACK,),
        ),
        Scenario(
            "closed_fallback_failing_still_disconnects",
            flow,
            route_reply("CLOSED", message=""),
            disconnected,
            None,
            contact=_forced("PlayClosedFallback"),
            must_visit=("PlayClosedFallback", "DisconnectClosed"),
            messages=(),
        ),
        Scenario(
            "emergency_plays_the_message_and_disconnects",
            flow,
            route_reply("EMERGENCY"),
            disconnected,
            None,
            must_visit=(check, "PlayEmergencyMessage", "DisconnectEmergency"),
            attributes={"route_status": "EMERGENCY"},
            messages=(EMERGENCY_TEXT,),
        ),
        Scenario(
            "emergency_without_message_plays_the_fallback",
            flow,
            route_reply("EMERGENCY", message="   "),
            disconnected,
            None,
            must_visit=("PlayEmergencyMessage", "PlayEmergencyFallback", "DisconnectEmergency"),
            messages=(EMERGENCY_FALLBACK,),
        ),
        Scenario(
            "emergency_fallback_failing_still_disconnects",
            flow,
            route_reply("EMERGENCY", message=""),
            disconnected,
            None,
            contact=_forced("PlayEmergencyFallback"),
            must_visit=("PlayEmergencyFallback", "DisconnectEmergency"),
            messages=(),
        ),
        Scenario(
            "unknown_status_takes_the_default_queue",
            flow,
            route_reply("REROUTE_LATER"),
            transferred,
            DEFAULT_QUEUE_ARN,
            must_visit=(check, "MarkUnknownStatus", *OK_DEFAULT),
            attributes={"route_fallback": "unknown_route_status"},
            messages=(APOLOGY_ROUTE,),
        ),
        Scenario(
            "lambda_error_is_retried_three_times_then_default_queue",
            flow,
            routed,
            transferred,
            DEFAULT_QUEUE_ARN,
            contact=_lambda_fault(FaultKind.ERROR),
            must_visit=(invoke, "MarkLambdaError", *OK_DEFAULT),
            must_not_visit=(save,),
            attributes={"route_status": "FLOW_DEFAULT", "route_fallback": "route_lambda_error"},
            messages=(APOLOGY_ROUTE,),
            invocations=0,  # injected errors fail before the handler runs
            attempts=4,  # 1 + Connect's 3 retries
            tags={},  # no decision, nothing to tag
        ),
        Scenario(
            "handler_exception_is_retried_then_default_queue",
            flow,
            lambda _event: 1 / 0,
            transferred,
            DEFAULT_QUEUE_ARN,
            must_visit=(invoke, "MarkLambdaError", *OK_DEFAULT),
            invocations=4,
            attempts=4,
        ),
        Scenario(
            "lambda_error_recovered_by_a_retry",
            flow,
            routed,
            transferred,
            CARDS_QUEUE_ARN,
            contact=_lambda_fault(FaultKind.ERROR, attempts=2),
            must_visit=(invoke, save, set_queue, "TransferToQueue"),
            must_not_visit=("MarkLambdaError",),
            invocations=1,  # two injected failures, then the third attempt runs the handler
            attempts=3,
        ),
        Scenario(
            "lambda_timeout_takes_the_default_queue",
            flow,
            routed,
            transferred,
            DEFAULT_QUEUE_ARN,
            contact=_lambda_fault(FaultKind.TIMEOUT),
            must_visit=(invoke, "MarkLambdaError", *OK_DEFAULT),
            attempts=1,  # a timeout is not retried
        ),
        Scenario(
            "non_string_reply_takes_the_default_queue",
            flow,
            routed,
            transferred,
            DEFAULT_QUEUE_ARN,
            contact=_lambda_fault(FaultKind.NON_STRING_VALUE),
            must_visit=(invoke, "MarkLambdaError", *OK_DEFAULT),
        ),
        Scenario(
            "oversize_reply_takes_the_default_queue",
            flow,
            routed,
            transferred,
            DEFAULT_QUEUE_ARN,
            contact=_lambda_fault(FaultKind.OVERSIZE_REPLY),
            must_visit=(invoke, "MarkLambdaError", *OK_DEFAULT),
        ),
        Scenario(
            "non_map_reply_takes_the_default_queue",
            flow,
            routed,
            transferred,
            DEFAULT_QUEUE_ARN,
            contact=_lambda_fault(FaultKind.NOT_A_MAP),
            must_visit=(invoke, "MarkLambdaError", *OK_DEFAULT),
        ),
        Scenario(
            "decision_attributes_failing_does_not_stop_routing",
            flow,
            routed,
            transferred,
            CARDS_QUEUE_ARN,
            contact=_forced(save),
            must_visit=(save, check, set_queue, "TransferToQueue"),
            tags=decision_tags(),  # the tags come from the reply, not from the attributes that failed
        ),
        Scenario(
            "crm_attributes_failing_does_not_stop_routing",
            flow,
            routed,
            transferred,
            CARDS_QUEUE_ARN,
            contact=_forced(crm),
            must_visit=(crm, set_queue, "TransferToQueue"),
        ),
        Scenario(
            "missing_crm_attribute_in_strict_mode_still_routes",
            flow,
            {k: v for k, v in routed.items() if k != "acsf_search_info"},
            transferred,
            CARDS_QUEUE_ARN,
            options=STRICT,
            contact=Contact(attributes={"transfer_queue_key": "cards_general"} if flow == "transfer" else {}),
            must_visit=(crm, set_queue, "TransferToQueue"),
            must_not_visit=("MarkLambdaError", "MarkQueueError"),
        ),
        Scenario(
            "empty_queue_arn_takes_the_default_queue",
            flow,
            route_reply(queue_arn=""),
            transferred,
            DEFAULT_QUEUE_ARN,
            must_visit=(set_queue, "MarkQueueError", *OK_DEFAULT),
            attributes={"route_fallback": "target_queue_error"},
        ),
        Scenario(
            "queue_of_another_instance_takes_the_default_queue",
            flow,
            route_reply(queue_arn=OTHER_INSTANCE_QUEUE_ARN),
            transferred,
            DEFAULT_QUEUE_ARN,
            must_visit=(set_queue, "MarkQueueError", *OK_DEFAULT),
        ),
        Scenario(
            "full_target_queue_apologises_and_takes_the_default_queue",
            flow,
            routed,
            transferred,
            DEFAULT_QUEUE_ARN,
            contact=_faults(queues_at_capacity=frozenset({CARDS_QUEUE_ARN})),
            must_visit=("TransferToQueue", "MarkQueueFull", "ApologyQueueFull", "SetDefaultQueue"),
            attributes={"route_fallback": "queue_at_capacity"},
            messages=(APOLOGY_FULL,),
        ),
        Scenario(
            "full_target_and_default_queue_apologise_and_disconnect",
            flow,
            routed,
            disconnected,
            None,
            contact=_faults(queues_at_capacity=frozenset({CARDS_QUEUE_ARN, DEFAULT_QUEUE_ID})),
            must_visit=("MarkQueueFull", "TransferToDefaultQueue", "ApologyUnavailable", "DisconnectUnavailable"),
            messages=(APOLOGY_FULL, APOLOGY_UNAVAILABLE),
        ),
        Scenario(
            "transfer_error_takes_the_default_queue",
            flow,
            routed,
            transferred,
            DEFAULT_QUEUE_ARN,
            contact=_forced(f"{flow}:TransferToQueue"),
            must_visit=("TransferToQueue", "MarkQueueError", *OK_DEFAULT),
        ),
        Scenario(
            "default_queue_that_cannot_be_set_disconnects_politely",
            flow,
            routed,
            disconnected,
            None,
            contact=Contact(
                faults=Faults(
                    lambda_faults={ROUTE_ARN: LambdaFault(FaultKind.TIMEOUT)},
                    action_errors={"SetDefaultQueue": "NoMatchingError"},
                )
            ),
            must_visit=("MarkLambdaError", "SetDefaultQueue", "ApologyUnavailable", "DisconnectUnavailable"),
            messages=(APOLOGY_ROUTE, APOLOGY_UNAVAILABLE),
        ),
        Scenario(
            "default_queue_transfer_error_disconnects_politely",
            flow,
            route_reply("REROUTE_LATER"),
            disconnected,
            None,
            contact=_forced("TransferToDefaultQueue"),
            must_visit=("TransferToDefaultQueue", "ApologyUnavailable", "DisconnectUnavailable"),
        ),
        Scenario(
            "goodbye_prompt_failing_still_disconnects",
            flow,
            route_reply("REROUTE_LATER"),
            disconnected,
            None,
            contact=Contact(
                faults=Faults(
                    action_errors={"TransferToDefaultQueue": "QueueAtCapacity", "ApologyUnavailable": "NoMatchingError"}
                )
            ),
            must_visit=("TransferToDefaultQueue", "ApologyUnavailable", "DisconnectUnavailable"),
            messages=(APOLOGY_ROUTE,),
        ),
        Scenario(
            "fallback_marker_failing_still_routes_to_default",
            flow,
            routed,
            transferred,
            DEFAULT_QUEUE_ARN,
            contact=Contact(
                faults=Faults(
                    lambda_faults={ROUTE_ARN: LambdaFault(FaultKind.ERROR)},
                    action_errors={"MarkLambdaError": "NoMatchingError", "ApologyDefaultRoute": "NoMatchingError"},
                )
            ),
            must_visit=("MarkLambdaError", "ApologyDefaultRoute", "SetDefaultQueue", "TransferToDefaultQueue"),
            messages=(),
            invocations=0,
        ),
        Scenario(
            "unknown_status_marker_failing_still_routes_to_default",
            flow,
            route_reply("REROUTE_LATER"),
            transferred,
            DEFAULT_QUEUE_ARN,
            contact=_forced("MarkUnknownStatus"),
            must_visit=("MarkUnknownStatus", *OK_DEFAULT),
        ),
        Scenario(
            "queue_error_marker_failing_still_routes_to_default",
            flow,
            route_reply(queue_arn=""),
            transferred,
            DEFAULT_QUEUE_ARN,
            contact=_forced("MarkQueueError"),
            must_visit=("MarkQueueError", *OK_DEFAULT),
        ),
        Scenario(
            "queue_full_marker_and_apology_failing_still_route_to_default",
            flow,
            routed,
            transferred,
            DEFAULT_QUEUE_ARN,
            contact=Contact(
                faults=Faults(
                    queues_at_capacity=frozenset({CARDS_QUEUE_ARN}),
                    action_errors={"MarkQueueFull": "NoMatchingError", "ApologyQueueFull": "NoMatchingError"},
                )
            ),
            must_visit=("MarkQueueFull", "ApologyQueueFull", "SetDefaultQueue", "TransferToDefaultQueue"),
            messages=(),
        ),
    ]


def inbound_scenarios() -> list[Scenario]:
    """Every path of ``inbound.json``."""
    transferred = EndReason.TRANSFERRED_TO_QUEUE
    criteria_text = (
        '[{"expiry_seconds":30,"expression":{"AttributeCondition":{"ComparisonOperator":"NumberGreaterOrEqualTo",'
        '"Name":"Tier","ProficiencyLevel":4,"Value":"Platinum"}}}]'
    )
    return [
        Scenario(
            "routed_voice_call_is_queued_with_priority_and_attributes",
            "inbound",
            route_reply(priority="3"),
            transferred,
            CARDS_QUEUE_ARN,
            must_visit=(
                "EnableFlowLogs",
                "CheckChannel",
                "InvokeRoute",
                "SaveRouteDecision",
                "SaveDecision",
                "TagDecision",
                "SetVoice",
                "CheckStatus",
                "SaveCrmAttributes",
                "CheckCallbackOffer",
                "SetTargetQueue",
                "CheckPriority",
                "SetPriority03",
                "CheckRoutingCriteria",
                "TransferToQueue",
            ),
            must_not_visit=("OfferCallback", "InvokeRoutingCriteria"),
            attributes={
                "route_status": "ROUTED",
                "classification": "card_servicing",
                "rule_id": "cards.balance_ivr",
                "config_version": "v000007",
                "line_of_business": "cards",
                "queue_key": "cards_general",
                "acsf_search_info": "card_number",
                "route_priority": "3",
            },
            messages=(),
            priority=3,
            tags=DECISION_TAGS,
            routing_criteria=None,  # without criteria, routing is unchanged
            voice="Joanna",
        ),
        *[
            Scenario(
                f"priority_{p}_is_set_statically",
                "inbound",
                route_reply(priority=str(p)),
                transferred,
                CARDS_QUEUE_ARN,
                must_visit=("CheckPriority", f"SetPriority{p:02d}", "TransferToQueue"),
                priority=p,
            )
            for p in range(1, 11)
        ],
        *[
            Scenario(
                f"unknown_priority_{label}_is_connects_default_5",
                "inbound",
                route_reply(priority=value),
                transferred,
                CARDS_QUEUE_ARN,
                must_visit=("CheckPriority", "SetPriority05", "TransferToQueue"),
                priority=5,
            )
            for label, value in (("40", "40"), ("empty", ""))
        ],
        Scenario(
            "routing_criteria_are_applied_before_the_transfer",
            "inbound",
            route_reply(routing_criteria=criteria_text, routing_criteria_steps="1"),
            transferred,
            CARDS_QUEUE_ARN,
            must_visit=("CheckRoutingCriteria", "InvokeRoutingCriteria", "ApplyRoutingCriteria", "TransferToQueue"),
            routing_criteria={
                "Steps": [
                    {
                        "Expression": {
                            "AttributeCondition": {
                                "Name": "Tier",
                                "Value": "Platinum",
                                "ProficiencyLevel": 4.0,
                                "ComparisonOperator": "NumberGreaterOrEqualTo",
                            }
                        },
                        "Expiry": {"DurationInSeconds": 30},
                    }
                ]
            },
        ),
        Scenario(
            "routing_criteria_call_failing_routes_by_the_queue_alone",
            "inbound",
            route_reply(routing_criteria=criteria_text, routing_criteria_steps="1"),
            transferred,
            CARDS_QUEUE_ARN,
            contact=_forced("InvokeRoutingCriteria"),
            must_visit=("InvokeRoutingCriteria", "TransferToQueue"),
            must_not_visit=("ApplyRoutingCriteria",),
            routing_criteria=None,
        ),
        Scenario(
            "routing_criteria_connect_refuses_route_by_the_queue_alone",
            "inbound",
            route_reply(routing_criteria='[{"expression":{}}]', routing_criteria_steps="1"),
            transferred,
            CARDS_QUEUE_ARN,
            must_visit=("InvokeRoutingCriteria", "ApplyRoutingCriteria", "TransferToQueue"),
            routing_criteria=None,
        ),
        Scenario(
            "spanish_entry_point_hears_spanish_with_a_spanish_voice",
            "inbound",
            route_reply(
                language="es-US",
                voice="Lupe",
                callback_offer="true",
                prompt_callback_offer="Nuestra espera es más larga de lo habitual.",
            ),
            transferred,
            CARDS_QUEUE_ARN,
            contact=Contact(customer_number=CALLER),
            must_visit=("SetVoice", "OfferCallback", "SetTargetQueue"),
            messages=("Nuestra espera es más larga de lo habitual.",),
            voice="Lupe",
        ),
        Scenario(
            "a_voice_that_cannot_be_set_keeps_connects_default_and_routes",
            "inbound",
            route_reply(voice=""),
            transferred,
            CARDS_QUEUE_ARN,
            must_visit=("SetVoice", "CheckStatus", "TransferToQueue"),
            voice=None,
        ),
        Scenario(
            "decision_flow_attributes_failing_takes_the_default_queue",
            "inbound",
            route_reply(),
            transferred,
            DEFAULT_QUEUE_ARN,
            contact=_forced("SaveRouteDecision"),
            must_visit=("SaveRouteDecision", "SaveDecision", "CheckStatus", "MarkUnknownStatus", *OK_DEFAULT),
            attributes={"route_status": "ROUTED"},  # the contact attributes still record the decision
        ),
        Scenario(
            "decision_tags_failing_does_not_stop_routing",
            "inbound",
            route_reply(),
            transferred,
            CARDS_QUEUE_ARN,
            contact=_forced("TagDecision"),
            must_visit=("TagDecision", "SetVoice", "TransferToQueue"),
            tags={},
        ),
        *callback_scenarios(),
        Scenario(
            "chat_contact_is_routed_by_entry_key",
            "inbound",
            route_reply(queue_arn=CARDS_QUEUE_ARN),
            transferred,
            CARDS_QUEUE_ARN,
            contact=Contact(
                channel="CHAT", customer_number=None, system_number=None, attributes={"entry_key": "cards_web_chat"}
            ),
            must_visit=("CheckChannel", "InvokeRouteKeyed", "TransferToQueue"),
            must_not_visit=("InvokeRoute",),
        ),
        Scenario(
            "chat_route_error_takes_the_default_queue",
            "inbound",
            route_reply(),
            transferred,
            DEFAULT_QUEUE_ARN,
            contact=Contact(
                channel="CHAT",
                customer_number=None,
                system_number=None,
                attributes={"entry_key": "cards_web_chat"},
                faults=Faults(lambda_faults={ROUTE_ARN: LambdaFault(FaultKind.TIMEOUT)}),
            ),
            must_visit=("InvokeRouteKeyed", "MarkLambdaError", *OK_DEFAULT),
        ),
        Scenario(
            "anonymous_caller_is_routed",
            "inbound",
            route_reply(),
            transferred,
            CARDS_QUEUE_ARN,
            contact=Contact(customer_number=None),
            must_visit=("InvokeRoute", "TransferToQueue"),
        ),
        *_shared_scenarios(
            "inbound", "InvokeRoute", "SaveDecision", "CheckStatus", "SaveCrmAttributes", "SetTargetQueue"
        ),
    ]


def transfer_scenarios() -> list[Scenario]:
    """Every path of ``transfer.json``: the queue the agent chose, unless config redirects; never closed."""
    transferred = EndReason.TRANSFERRED_TO_QUEUE

    def chosen(event: dict[str, Any]) -> dict[str, str]:
        # as route does: ROUTED to the contact's current queue ($.Queue), the agent's choice
        queue = event["Details"]["ContactData"]["Queue"]
        return route_reply(queue_key="retention", queue_arn=queue["ARN"], rule_id="transfer:retention")

    agent_choice = Contact(
        initiation_method="TRANSFER", attributes={"classification": "card_servicing"}, queue_arn=RETENTION_QUEUE_ARN
    )

    def at_retention(**faults: Any) -> Contact:
        return Contact(initiation_method="TRANSFER", queue_arn=RETENTION_QUEUE_ARN, faults=Faults(**faults))

    shared = _shared_scenarios(
        "transfer",
        "InvokeRouteTransfer",
        "SaveTransferDecision",
        "CheckTransferStatus",
        "SaveTransferCrmAttributes",
        "SetTransferQueue",
    )
    never_closed = [s for s in shared if not any(w in s.name for w in ("closed", "emergency", "error_default"))]
    return [
        Scenario(
            "transfer_goes_to_the_queue_the_agent_chose",
            "transfer",
            chosen,
            transferred,
            RETENTION_QUEUE_ARN,
            contact=agent_choice,
            must_visit=(
                "EnableFlowLogs",
                "InvokeRouteTransfer",
                "SaveTransferRoute",
                "SaveTransferDecision",
                "TagTransferDecision",
                "CheckTransferStatus",
                "SaveTransferCrmAttributes",
                "SetTransferQueue",
                "TransferToQueue",
            ),
            attributes={"rule_id": "transfer:retention", "route_status": "ROUTED"},
            messages=(),
            priority=None,  # UpdateContactRoutingBehavior is not supported in transfer flows
        ),
        Scenario(
            "transfer_redirected_by_config_goes_there",
            "transfer",
            route_reply(),
            transferred,
            CARDS_QUEUE_ARN,
            contact=agent_choice,
            must_visit=("SetTransferQueue", "TransferToQueue"),
        ),
        *[
            Scenario(
                f"transfer_answered_{status.lower()}_keeps_the_chosen_queue",
                "transfer",
                route_reply(status),
                transferred,
                RETENTION_QUEUE_ARN,
                contact=agent_choice,
                must_visit=("CheckTransferStatus", "MarkUnknownStatus", "TransferToChosenQueue"),
                must_not_visit=("SetDefaultQueue",),
                messages=(),  # never the closed message, never a disconnect mid-transfer
            )
            for status in ("CLOSED", "EMERGENCY", "ERROR_DEFAULT")
        ],
        Scenario(
            "transfer_route_error_keeps_the_chosen_queue",
            "transfer",
            route_reply(),
            transferred,
            RETENTION_QUEUE_ARN,
            contact=at_retention(lambda_faults={ROUTE_ARN: LambdaFault(FaultKind.ERROR)}),
            must_visit=("InvokeRouteTransfer", "MarkLambdaError", "TransferToChosenQueue"),
            invocations=0,
            messages=(),
        ),
        Scenario(
            "transfer_chosen_queue_full_takes_the_default_queue",
            "transfer",
            route_reply(),
            transferred,
            DEFAULT_QUEUE_ARN,
            contact=at_retention(
                lambda_faults={ROUTE_ARN: LambdaFault(FaultKind.ERROR)},
                queues_at_capacity=frozenset({RETENTION_QUEUE_ARN}),
            ),
            must_visit=("TransferToChosenQueue", "MarkQueueFull", "ApologyQueueFull", "TransferToDefaultQueue"),
            invocations=0,
        ),
        Scenario(
            "transfer_flow_attributes_failing_keeps_the_chosen_queue",
            "transfer",
            chosen,
            transferred,
            RETENTION_QUEUE_ARN,
            contact=Contact(
                initiation_method="TRANSFER",
                queue_arn=RETENTION_QUEUE_ARN,
                faults=Faults(action_errors={"SaveTransferRoute": "NoMatchingError"}),
            ),
            must_visit=("SaveTransferRoute", "SaveTransferDecision", "MarkUnknownStatus", "TransferToChosenQueue"),
        ),
        Scenario(
            "transfer_tags_failing_still_transfers",
            "transfer",
            chosen,
            transferred,
            RETENTION_QUEUE_ARN,
            contact=Contact(
                initiation_method="TRANSFER",
                queue_arn=RETENTION_QUEUE_ARN,
                faults=Faults(action_errors={"TagTransferDecision": "NoMatchingError"}),
            ),
            must_visit=("TagTransferDecision", "CheckTransferStatus", "TransferToQueue"),
            tags={},
        ),
        *never_closed,
    ]


CALLER = "+12125550187"


def callback_reply(status: str = "RESERVED", profile: str = "standard", number: str = CALLER) -> dict[str, str]:
    """The ``callback`` function's ``reserve`` answer (two-phase contract: no queue ARN or priority in it)."""
    return {
        "callback_status": status,
        "callback_number": number if status in ("RESERVED", "DUPLICATE") else "",
        "callback_profile": profile,
        "queue_key": "cards_general",
    }


def callback_scenarios() -> list[Scenario]:
    """The inbound flow's callback branch: offer, choose the number, reserve, create per profile, confirm; every
    refusal, silence and error (each failure after RESERVED releases the reservation and keeps the caller)."""
    from trunkline.simulator import ScriptedInput

    offer = route_reply(callback_offer="true", callback_profile="standard")
    queued = EndReason.TRANSFERRED_TO_QUEUE
    done = EndReason.DISCONNECTED

    def press(*keys: str) -> Contact:
        return Contact(customer_number=CALLER, inputs=tuple(ScriptedInput.dtmf(k) for k in keys))

    def forced(errors: Mapping[str, str], *keys: str) -> Contact:
        return Contact(
            customer_number=CALLER,
            inputs=tuple(ScriptedInput.dtmf(k) for k in keys),
            faults=Faults(action_errors=errors),
        )

    keep_place = ("SetTargetQueue", "TransferToQueue")
    released = ("reserve", "release")
    sorry = DEFAULT_PROMPTS["callback_failed"]
    return [
        Scenario(
            "callback_accepted_on_caller_id_is_reserved_created_and_confirmed",
            "inbound",
            offer,
            done,
            None,
            contact=press("1"),
            callback_reply=callback_reply(),
            must_visit=(
                "CheckCallbackOffer",
                "OfferCallback",
                "UseCallerIdForCallback",
                "ReserveCallback",
                "CheckCallbackStatus",
                "SaveCallbackReservation",
                "SetCallbackNumber",
                "CheckCallbackProfile",
                "CreateCallbackStandard",
                "TagCallbackRequested",
                "ConfirmCallback",
                "CallbackConfirmed",
                "DisconnectAfterCallback",
            ),
            must_not_visit=("TransferToQueue", "ReleaseCallback"),
            callback=(CALLER, 20, 3, 600),
            callback_actions=("reserve", "confirm"),
            invocations=1,
            tags=CALLBACK_TAGS,
            messages=(DEFAULT_PROMPTS["callback_offer"], DEFAULT_PROMPTS["callback_confirmed"]),
        ),
        Scenario(
            "callback_to_a_keyed_number_with_the_gentle_profile",
            "inbound",
            offer,
            done,
            None,
            contact=press("2", "3125550100#"),
            callback_reply=callback_reply(profile="gentle", number="+13125550100"),
            must_visit=(
                "OfferCallback",
                "AskCallbackNumber",
                "CheckKeyedNumber",
                "UseKeyedNumberForCallback",
                "ReserveCallback",
                "CheckCallbackProfile",
                "CreateCallbackGentle",
                "TagCallbackRequested",
                "ConfirmCallback",
                "CallbackConfirmed",
            ),
            callback=("+13125550100", 30, 2, 1800),
            callback_actions=("reserve", "confirm"),
            tags=CALLBACK_TAGS,
        ),
        Scenario(
            "callback_profile_named_standard_takes_the_standard_branch",
            "inbound",
            offer,
            done,
            None,
            contact=press("1"),
            callback_reply=callback_reply(profile="standard"),
            must_visit=("CheckCallbackProfile", "CreateCallbackStandard"),
            must_not_visit=("CreateCallbackGentle",),
        ),
        Scenario(
            "callback_offer_ignored_keeps_the_place_in_queue",
            "inbound",
            offer,
            queued,
            CARDS_QUEUE_ARN,
            contact=Contact(customer_number=CALLER),
            must_visit=("CheckCallbackOffer", "OfferCallback", *keep_place),
            must_not_visit=("ReserveCallback",),
            attributes={"callback_offer": "true"},
        ),
        Scenario(
            "callback_offer_other_key_keeps_the_place_in_queue",
            "inbound",
            offer,
            queued,
            CARDS_QUEUE_ARN,
            contact=press("9"),
            must_visit=("OfferCallback", *keep_place),
            must_not_visit=("ReserveCallback",),
        ),
        Scenario(
            "callback_offer_prompt_failure_keeps_the_place_in_queue",
            "inbound",
            offer,
            queued,
            CARDS_QUEUE_ARN,
            contact=forced({"OfferCallback": "NoMatchingError"}),
            must_visit=("OfferCallback", *keep_place),
        ),
        Scenario(
            "silent_caller_at_the_number_prompt_keeps_the_place_without_an_apology",
            "inbound",
            offer,
            queued,
            CARDS_QUEUE_ARN,
            contact=press("2"),  # then silence: store mode continues on success with "Timeout" stored
            must_visit=("AskCallbackNumber", "CheckKeyedNumber", *keep_place),
            must_not_visit=("ReserveCallback", "CallbackNotPossible", "UseKeyedNumberForCallback"),
            messages=(DEFAULT_PROMPTS["callback_offer"], DEFAULT_PROMPTS["callback_number"]),
        ),
        Scenario(
            "invalid_keyed_number_apologises_and_keeps_the_place",
            "inbound",
            offer,
            queued,
            CARDS_QUEUE_ARN,
            contact=press("2", "12#"),
            must_visit=("AskCallbackNumber", "CallbackNotPossible", *keep_place),
            must_not_visit=("ReserveCallback",),
            messages=(DEFAULT_PROMPTS["callback_offer"], DEFAULT_PROMPTS["callback_number"], sorry),
        ),
        Scenario(
            "callback_number_entry_failure_keeps_the_place_in_queue",
            "inbound",
            offer,
            queued,
            CARDS_QUEUE_ARN,
            contact=forced({"AskCallbackNumber": "NoMatchingError"}, "2", "3125550100#"),
            must_visit=("AskCallbackNumber", *keep_place),
            must_not_visit=("ReserveCallback", "CallbackNotPossible"),
        ),
        *[
            Scenario(
                f"callback_number_{ident}_failing_apologises_and_queues",
                "inbound",
                offer,
                queued,
                CARDS_QUEUE_ARN,
                contact=forced({ident: "NoMatchingError"}, *keys),
                must_visit=(ident, "CallbackNotPossible", *keep_place),
                must_not_visit=("ReserveCallback",),
            )
            for ident, keys in (("UseCallerIdForCallback", ("1",)), ("UseKeyedNumberForCallback", ("2", "3125550100#")))
        ],
        *[
            Scenario(
                f"callback_refused_{status.lower()}_apologises_and_queues",
                "inbound",
                offer,
                queued,
                CARDS_QUEUE_ARN,
                contact=press("1"),
                callback_reply=callback_reply(status=status),
                must_visit=("ReserveCallback", "CheckCallbackStatus", "CallbackNotPossible", *keep_place),
                must_not_visit=("SetCallbackNumber", "ReleaseCallback"),  # nothing reserved, nothing to release
                callback_actions=("reserve",),
            )
            for status in ("INVALID_NUMBER", "QUEUE_FULL", "NOT_OFFERED", "ERROR")
        ],
        Scenario(
            "callback_duplicate_tells_the_caller_and_ends",
            "inbound",
            offer,
            done,
            None,
            contact=press("1"),
            callback_reply=callback_reply(status="DUPLICATE"),
            must_visit=("CheckCallbackStatus", "CallbackAlreadyScheduled", "DisconnectAfterCallback"),
            must_not_visit=("CreateCallbackStandard", "TagCallbackRequested"),
            callback_actions=("reserve",),
            tags=DECISION_TAGS,  # the earlier callback is the one that asked
        ),
        Scenario(
            "callback_function_failure_apologises_and_queues",
            "inbound",
            offer,
            queued,
            CARDS_QUEUE_ARN,
            contact=Contact(
                customer_number=CALLER,
                inputs=(ScriptedInput.dtmf("1"),),
                faults=Faults(lambda_faults={CALLBACK_ARN: LambdaFault(FaultKind.ERROR)}),
            ),
            callback_reply=callback_reply(),
            must_visit=("ReserveCallback", "CallbackNotPossible", *keep_place),
            must_not_visit=("ReleaseCallback",),
            invocations=1,
        ),
        Scenario(
            "callback_reservation_not_saved_is_released",
            "inbound",
            offer,
            queued,
            CARDS_QUEUE_ARN,
            contact=forced({"SaveCallbackReservation": "NoMatchingError"}, "1"),
            callback_reply=callback_reply(),
            must_visit=("SaveCallbackReservation", "ReleaseCallback", "CallbackNotPossible", *keep_place),
            callback_actions=released,
        ),
        *[
            Scenario(
                f"callback_number_{error}_releases_apologises_and_queues",
                "inbound",
                offer,
                queued,
                CARDS_QUEUE_ARN,
                contact=forced({"SetCallbackNumber": error}, "1"),
                callback_reply=callback_reply(),
                must_visit=("SetCallbackNumber", "ReleaseCallback", "CallbackNotPossible", *keep_place),
                callback_actions=released,
                messages=(DEFAULT_PROMPTS["callback_offer"], sorry),
            )
            for error in ("InvalidCallbackNumber", "CallbackNumberNotDialable")
        ],
        *[
            Scenario(
                f"callback_{create}_failure_releases_apologises_and_queues",
                "inbound",
                offer,
                queued,
                CARDS_QUEUE_ARN,
                contact=forced({create: "NoMatchingError"}, "1"),
                callback_reply=callback_reply(profile=profile),
                must_visit=(create, "ReleaseCallback", "CallbackNotPossible", *keep_place),
                must_not_visit=("TagCallbackRequested", "ConfirmCallback"),
                callback_actions=released,
                tags=DECISION_TAGS,
            )
            for create, profile in (("CreateCallbackStandard", "standard"), ("CreateCallbackGentle", "gentle"))
        ],
        Scenario(
            "callback_queue_full_releases_and_the_caller_reaches_the_default_queue",
            "inbound",
            offer,
            queued,
            DEFAULT_QUEUE_ARN,
            contact=Contact(
                customer_number=CALLER,
                inputs=(ScriptedInput.dtmf("1"),),
                faults=Faults(queues_at_capacity=frozenset({CARDS_QUEUE_ARN})),
            ),
            callback_reply=callback_reply(),
            must_visit=("CreateCallbackStandard", "ReleaseCallback", "CallbackNotPossible", "MarkQueueFull"),
            callback_actions=released,
        ),
        Scenario(
            "release_failing_still_apologises_and_queues",
            "inbound",
            offer,
            queued,
            CARDS_QUEUE_ARN,
            contact=forced({"SetCallbackNumber": "InvalidCallbackNumber", "ReleaseCallback": "NoMatchingError"}, "1"),
            callback_reply=callback_reply(),
            must_visit=("ReleaseCallback", "CallbackNotPossible", *keep_place),
            callback_actions=("reserve",),
        ),
        Scenario(
            "callback_tag_failing_still_confirms",
            "inbound",
            offer,
            done,
            None,
            contact=forced({"TagCallbackRequested": "NoMatchingError"}, "1"),
            callback_reply=callback_reply(),
            must_visit=("TagCallbackRequested", "ConfirmCallback", "CallbackConfirmed"),
            callback_actions=("reserve", "confirm"),
            tags=DECISION_TAGS,
        ),
        Scenario(
            "confirm_failing_still_tells_the_caller_the_callback_exists",
            "inbound",
            offer,
            done,
            None,
            contact=forced({"ConfirmCallback": "NoMatchingError"}, "1"),
            callback_reply=callback_reply(),
            must_visit=("ConfirmCallback", "CallbackConfirmed", "DisconnectAfterCallback"),
            callback=(CALLER, 20, 3, 600),
            callback_actions=("reserve",),
        ),
        *[
            Scenario(
                f"callback_message_{ident}_failure_still_ends_safely",
                "inbound",
                offer,
                end,
                queue,
                contact=forced({ident: "NoMatchingError"}, "1"),
                callback_reply=callback_reply(status=status),
                must_visit=(ident,),
            )
            for ident, status, end, queue in (
                ("CallbackConfirmed", "RESERVED", done, None),
                ("CallbackAlreadyScheduled", "DUPLICATE", done, None),
                ("CallbackNotPossible", "BLOCKED_PREFIX", queued, CARDS_QUEUE_ARN),
            )
        ],
    ]


def all_scenarios() -> list[Scenario]:
    """Every scenario of every flow."""
    return [*inbound_scenarios(), *transfer_scenarios()]
