"""Offline Amazon Connect flow simulator: walks flow-language JSON for a simulated contact.

Typical use (the demo, the flow tests, the benchmark)::

    from trunkline.simulator import Contact, FlowSimulator

    sim = FlowSimulator.from_directory("contact_flows", tokens={"RouteFunctionArn": ROUTE_ARN,
                                                                 "DefaultQueueArn": DEFAULT_QUEUE_ARN})
    sim.register_lambda(ROUTE_ARN, route.handler.lambda_handler)
    result = sim.run("inbound", Contact(channel="VOICE", customer_number="+12065550123",
                                        system_number="+18005550100"))
    result.queue_arn, result.attributes, result.describe()
"""

from trunkline.simulator.actions import ACTION_SPECS, TERMINAL_TYPES
from trunkline.simulator.engine import FlowSimulator
from trunkline.simulator.events import (
    QueueOutcome,
    QueueOutcomeModel,
    callback_contact_id,
    contact_events,
    shuffle_and_duplicate,
)
from trunkline.simulator.flow import Flow, FlowLoadError, find_tokens, load_flow, load_flows, substitute_tokens
from trunkline.simulator.hours import ALWAYS_CLOSED, ALWAYS_OPEN, FixedHours, HoursOracle, HoursTable
from trunkline.simulator.lambdas import MAX_REPLY_BYTES, FakeLambdaContext, LambdaHandler, build_event
from trunkline.simulator.lint import FlowIssue, lint_flow, reachable_edges
from trunkline.simulator.model import (
    DEFAULT_INSTANCE_ARN,
    CallbackRequest,
    Channel,
    Contact,
    EndReason,
    FaultKind,
    Faults,
    LambdaAttempt,
    LambdaFault,
    LambdaInvocation,
    PlayedMessage,
    ScriptedInput,
    SimulationError,
    SimulationResult,
    TraceStep,
)
from trunkline.simulator.paths import MISSING, resolve
from trunkline.simulator.state import SimulatorOptions

__all__ = [
    "ACTION_SPECS",
    "ALWAYS_CLOSED",
    "ALWAYS_OPEN",
    "DEFAULT_INSTANCE_ARN",
    "MAX_REPLY_BYTES",
    "MISSING",
    "TERMINAL_TYPES",
    "CallbackRequest",
    "Channel",
    "Contact",
    "EndReason",
    "FakeLambdaContext",
    "FaultKind",
    "Faults",
    "FixedHours",
    "Flow",
    "FlowIssue",
    "FlowLoadError",
    "FlowSimulator",
    "HoursOracle",
    "HoursTable",
    "LambdaAttempt",
    "LambdaFault",
    "LambdaHandler",
    "LambdaInvocation",
    "PlayedMessage",
    "QueueOutcome",
    "QueueOutcomeModel",
    "ScriptedInput",
    "SimulationError",
    "SimulationResult",
    "SimulatorOptions",
    "TraceStep",
    "build_event",
    "callback_contact_id",
    "contact_events",
    "find_tokens",
    "lint_flow",
    "load_flow",
    "load_flows",
    "reachable_edges",
    "resolve",
    "shuffle_and_duplicate",
    "substitute_tokens",
]
