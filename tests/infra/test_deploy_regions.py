"""Deploy order and regions (issue 11 §1): flows after their functions' associations, the DR model, the flows'
Lambda timeout, the canary's rollback alarms, the config publisher's errors alarm, the pipeline's connection grant."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk.assertions import Template

from stacks.settings import EnvironmentSettings, SettingsError
from tests.infra.conftest import ACTIVE, DEV_ARN, DR, DR_INDEPENDENT_ARN, ROOT, cdk_context, raw_with, settings_with
from tests.infra.queries import alias_of, function

ROUTE = "route.handler.lambda_handler"
PUBLISHER = "config_publisher.handler.lambda_handler"
TIMEOUT = re.compile(r'InvocationTimeLimitSeconds\\*"\s*:\s*\\*"(\d+)')


def _resources(template: Template, kind: str) -> dict[str, Any]:
    return dict(template.find_resources(kind))


# Deploy order --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["dev-active", "independent-dr"])
def test_every_flow_is_created_after_every_integration_association(
    dev_stacks: dict[str, Template], independent: dict[str, Template], where: str
) -> None:
    template = dev_stacks[ACTIVE] if where == "dev-active" else independent[DR]
    associations = set(_resources(template, "AWS::Connect::IntegrationAssociation"))
    flows = _resources(template, "AWS::Connect::ContactFlow")
    assert flows
    assert len(associations) == 2
    for name, flow in flows.items():
        assert associations <= set(flow.get("DependsOn", [])), f"{name} may be published before its functions"


# DR model ------------------------------------------------------------------------------------------------------


def test_replica_dr_receives_flows_from_connect_but_gets_its_own_associations(
    dev_stacks: dict[str, Template],
) -> None:
    template = dev_stacks[DR]
    assert not _resources(template, "AWS::Connect::ContactFlow"), "a Global Resiliency replica must not get flows"
    associations = _resources(template, "AWS::Connect::IntegrationAssociation").values()
    assert {a["Properties"]["InstanceId"] for a in associations} == {DEV_ARN[DR]}
    assert len(associations) == 2
    assert _resources(dev_stacks[ACTIVE], "AWS::Connect::ContactFlow")


def test_independent_dr_deploys_its_own_flows_on_its_own_instance(independent: dict[str, Template]) -> None:
    names = {f"trunkline-x-{p.stem}" for p in (ROOT / "contact_flows").glob("*.json")}
    for stack, arn in ((ACTIVE, DEV_ARN[ACTIVE]), (DR, DR_INDEPENDENT_ARN)):
        flows = _resources(independent[stack], "AWS::Connect::ContactFlow").values()
        assert {f["Properties"]["Name"] for f in flows} == names
        assert {f["Properties"]["InstanceArn"] for f in flows} == {arn}


def test_dr_model_defaults_to_replica_and_is_validated() -> None:
    raw = raw_with()
    del raw["x"]["dr_model"]
    assert EnvironmentSettings.from_context(raw, "x").dr_model == "replica"
    with pytest.raises(SettingsError, match="dr_model must be one of"):
        settings_with(dr_model="active-active")
    dr = {"region": "us-west-2", "connect_instance_arn": DR_INDEPENDENT_ARN}
    with pytest.raises(SettingsError, match="replica keeps the primary's instance id"):
        settings_with(dr=dr, dr_model="replica")
    with pytest.raises(SettingsError, match="is a Global Resiliency replica"):
        settings_with(dr_model="independent")  # dev's DR names the active instance's id


def test_only_the_regions_that_own_flows_deploy_them() -> None:
    replica = settings_with()
    assert replica.deploys_flows(replica.active)
    assert replica.dr is not None
    assert not replica.deploys_flows(replica.dr)
    dr = {"region": "us-west-2", "connect_instance_arn": DR_INDEPENDENT_ARN}
    own = settings_with(dr=dr, dr_model="independent")
    assert own.dr is not None
    assert own.deploys_flows(own.dr)
    bare = settings_with(active={"region": "us-east-1"}, dr={"region": "us-west-2"})
    assert not any(bare.deploys_flows(r) for r in bare.regions)


# The flows' Lambda timeout -------------------------------------------------------------------------------------


def test_flows_wait_for_lambda_as_long_as_route_timeout_seconds(
    dev_stacks: dict[str, Template], independent: dict[str, Template]
) -> None:
    for template, seconds in ((dev_stacks[ACTIVE], "3"), (independent[ACTIVE], "5"), (independent[DR], "5")):
        found = [
            TIMEOUT.findall(json.dumps(flow["Properties"]["Content"]))
            for flow in _resources(template, "AWS::Connect::ContactFlow").values()
        ]
        assert all(found), "every flow invokes a function"
        assert {s for per_flow in found for s in per_flow} == {seconds}
    _, route = function(independent[ACTIVE], ROUTE)
    assert route["Properties"]["Timeout"] == 5  # the function's own budget is the same setting


@pytest.mark.parametrize("seconds", [0, 9])
def test_flow_invoke_timeout_outside_1_to_8_fails_synth(seconds: int) -> None:
    from stacks.constructs.connect import FlowTokenError, with_invoke_timeout

    with pytest.raises(FlowTokenError, match="1-8 s"):
        with_invoke_timeout({"Actions": []}, seconds, flow="x.json")
    with pytest.raises(SettingsError, match=r"route_timeout_seconds must be 1\.\.8"):
        settings_with(route_timeout_seconds=seconds)


# Alarms --------------------------------------------------------------------------------------------------------


def _metrics(alarm: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(namespace, metric, service dimension) of every metric of a math alarm."""
    out = set()
    for query in alarm.get("Metrics", []):
        metric = query.get("MetricStat", {}).get("Metric")
        if metric:
            dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
            out.add((metric["Namespace"], metric["MetricName"], dims.get("service", "")))
    return out


@pytest.mark.parametrize("stack", [ACTIVE, DR])
def test_route_canary_rolls_back_on_logic_errors_too(dev_stacks: dict[str, Template], stack: str) -> None:
    template = dev_stacks[stack]
    route_id, _ = function(template, ROUTE)
    _, alias = alias_of(template, route_id)
    group_id = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]["DeploymentGroupName"]["Ref"]
    group = _resources(template, "AWS::CodeDeploy::DeploymentGroup")[group_id]["Properties"]
    alarms = _resources(template, "AWS::CloudWatch::Alarm")
    watched = [alarms[ref["Name"]["Ref"]]["Properties"] for ref in group["AlarmConfiguration"]["Alarms"]]
    metrics = set().union(*(_metrics(a) for a in watched))
    assert {
        ("Trunkline", "RouteError", "trunkline-route"),
        ("Trunkline", "DecisionErrorDefault", "trunkline-route"),
    } <= metrics
    (logic,) = [a for a in watched if _metrics(a)]
    assert (logic["Threshold"], logic["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
    assert logic["TreatMissingData"] == "notBreaching"
    expression = next(q["Expression"] for q in logic["Metrics"] if "Expression" in q)
    assert expression.count("FILL(") == 2  # a minute with one metric absent still sums


def test_config_publisher_errors_alarm_watches_what_the_provider_invokes(dev_stacks: dict[str, Template]) -> None:
    template = dev_stacks[ACTIVE]
    publisher_id, _ = function(template, PUBLISHER)
    invoked = [
        fn["Properties"]["Environment"]["Variables"]["USER_ON_EVENT_FUNCTION_ARN"]
        for fn in _resources(template, "AWS::Lambda::Function").values()
        if "USER_ON_EVENT_FUNCTION_ARN" in fn["Properties"].get("Environment", {}).get("Variables", {})
    ]
    assert invoked == [{"Fn::GetAtt": [publisher_id, "Arn"]}]  # the unqualified function, not the alias
    (alarm,) = [
        a["Properties"]
        for a in _resources(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("AlarmName") == "trunkline-dev-config-publisher-errors"
    ]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Lambda", "Errors")
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": publisher_id}}]


# Pipeline ------------------------------------------------------------------------------------------------------


def test_source_action_may_use_the_connection_under_both_prefixes(tests_pipeline: Template) -> None:
    connection = cdk_context()["environments"]["dev"]["pipeline"]["connection_arn"]
    granted: set[str] = set()
    for policy in _resources(tests_pipeline, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement.get("Resource") == connection and statement["Effect"] == "Allow":
                action = statement["Action"]
                granted |= set(action if isinstance(action, list) else [action])
    assert {"codestar-connections:UseConnection", "codeconnections:UseConnection"} <= granted
