"""Routing criteria: config steps → Connect's RoutingCriteria Steps (the route function's JSON second answer)."""

from __future__ import annotations

import json
from typing import Any

import pytest

import route.handler as route_handler
from routing.route.criteria import connect_steps
from trunkline.contacts import connect_event

CONDITION = {"Name": "Tier", "Value": "Platinum", "ProficiencyLevel": 4, "ComparisonOperator": "NumberGreaterOrEqualTo"}


def test_config_steps_become_connect_steps_with_float_levels_and_expiry() -> None:
    text = json.dumps(
        [
            {"expression": {"AttributeCondition": CONDITION}, "expiry_seconds": 30},
            {"expression": {"AndExpression": [{"AttributeCondition": {**CONDITION, "Value": "Gold"}}]}},
        ]
    )
    assert connect_steps(text) == [
        {
            "Expression": {"AttributeCondition": {**CONDITION, "ProficiencyLevel": 4.0}},
            "Expiry": {"DurationInSeconds": 30},
        },
        {
            "Expression": {
                "AndExpression": [{"AttributeCondition": {**CONDITION, "Value": "Gold", "ProficiencyLevel": 4.0}}]
            }
        },
    ]


@pytest.mark.parametrize(
    "text",
    ["", "not json", "{}", '[{"expression": {}}]', json.dumps([{"expression": {"AttributeCondition": {"Name": "x"}}}])],
)
def test_unusable_criteria_give_no_steps(text: str) -> None:
    assert connect_steps(text) == []


def test_the_route_handler_answers_the_criteria_request_without_routing(emf: Any) -> None:
    class Boom:
        def route(self, event: Any) -> Any:
            raise AssertionError("a criteria request must not run a routing decision")

    route_handler.set_service(Boom())  # type: ignore[arg-type]
    try:
        text = json.dumps([{"expression": {"AttributeCondition": CONDITION}}])
        event = connect_event(parameters={"trunkline_request": "routing_criteria", "routing_criteria": text})
        reply = route_handler.lambda_handler(event, None)
    finally:
        route_handler.set_service(None)
    assert reply == {"Steps": [{"Expression": {"AttributeCondition": {**CONDITION, "ProficiencyLevel": 4.0}}}]}
    # the EMF line: criteria were handed to the flow (the handler flushes its metrics itself)
    assert [blob.get("RoutingCriteriaServed") for blob in emf()] == [[1.0]]
