"""The live-metrics infrastructure: poller, schedule, least privilege, route wiring, stale-snapshot alarm."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Template

ARN = {
    "Trunkline-dev-active": "arn:aws:connect:us-east-1:111122223333:instance/5f7c9b1e-0d3a-4a8e-9c1f-2b6d8e4a7c10",
    "Trunkline-dev-dr": "arn:aws:connect:us-west-2:111122223333:instance/5f7c9b1e-0d3a-4a8e-9c1f-2b6d8e4a7c10",
}


def _fn(template: Template, handler: str) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (k, dict(v))
        for k, v in template.find_resources("AWS::Lambda::Function").items()
        if v["Properties"]["Handler"] == handler
    ]
    return found


def _actions_of(template: Template, fn: dict[str, Any]) -> list[dict[str, Any]]:
    role = fn["Properties"]["Role"]["Fn::GetAtt"][0]
    return [
        st
        for p in template.find_resources("AWS::IAM::Policy").values()
        if {"Ref": role} in p["Properties"]["Roles"]
        for st in p["Properties"]["PolicyDocument"]["Statement"]
    ]


@pytest.mark.parametrize("stack", list(ARN))
def test_poller_reads_only_this_instance_metrics(dev_stacks: dict[str, Template], stack: str) -> None:
    template = dev_stacks[stack]
    _, poller = _fn(template, "metrics_poller.handler.lambda_handler")
    assert poller["Properties"]["Environment"]["Variables"]["CONNECT_INSTANCE_ARN"] == ARN[stack]
    connect = [s for s in _actions_of(template, poller) if s["Action"] == "connect:GetCurrentMetricData"]
    assert len(connect) == 1
    assert connect[0]["Resource"] == [ARN[stack], f"{ARN[stack]}/queue/*"]
    writes = {
        a
        for s in _actions_of(template, poller)
        for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    }
    assert "dynamodb:BatchWriteItem" in writes


@pytest.mark.parametrize("stack", list(ARN))
def test_poller_runs_every_minute_through_its_alias(dev_stacks: dict[str, Template], stack: str) -> None:
    template = dev_stacks[stack]
    poller_id, _ = _fn(template, "metrics_poller.handler.lambda_handler")
    (alias_id,) = [
        k
        for k, v in template.find_resources("AWS::Lambda::Alias").items()
        if v["Properties"]["FunctionName"] == {"Ref": poller_id}
    ]
    # Other features schedule their own functions (the hourly reconciliation): the poller's is the one to its alias.
    (rule,) = [
        r
        for r in template.find_resources("AWS::Events::Rule").values()
        if "ScheduleExpression" in r["Properties"]
        and any(t["Arn"] == {"Ref": alias_id} for t in r["Properties"]["Targets"])
    ]
    assert rule["Properties"]["ScheduleExpression"] == "rate(1 minute)"
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Ref": alias_id}


@pytest.mark.parametrize("stack", list(ARN))
def test_route_reads_the_snapshots(dev_stacks: dict[str, Template], stack: str) -> None:
    template = dev_stacks[stack]
    _, route = _fn(template, "route.handler.lambda_handler")
    assert "METRICS_TABLE_NAME" in route["Properties"]["Environment"]["Variables"]
    actions = {
        a
        for s in _actions_of(template, route)
        for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    }
    assert "dynamodb:BatchGetItem" in actions
    assert not {"dynamodb:PutItem", "dynamodb:BatchWriteItem"} & actions


@pytest.mark.parametrize("stack", list(ARN))
def test_stale_snapshot_alarm(dev_stacks: dict[str, Template], stack: str) -> None:
    alarms = [
        a["Properties"]
        for a in dev_stacks[stack].find_resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "MetricsSnapshotsWritten"
    ]
    assert len(alarms) == 1
    alarm = alarms[0]
    assert (alarm["Namespace"], alarm["Statistic"], alarm["Threshold"], alarm["EvaluationPeriods"]) == (
        "Trunkline",
        "Sum",
        1,
        3,
    )
    assert alarm["ComparisonOperator"] == "LessThanThreshold"
    assert alarm["TreatMissingData"] == "breaching"
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "trunkline-metrics-poller"}]


def test_no_poller_without_an_instance(prod_stacks: dict[str, Template]) -> None:
    for template in prod_stacks.values():
        handlers = {f["Properties"]["Handler"] for f in template.find_resources("AWS::Lambda::Function").values()}
        assert "metrics_poller.handler.lambda_handler" not in handlers
