"""The poller's request budget holds across invocations, and partial staleness raises an alarm.

The budget (2 req/s of the account's 5) is enforced inside one invocation by a token bucket; an invocation can run
70 s under a one-minute schedule, so two must never overlap: reserved concurrency 1, and a schedule event that
cannot start within a minute is dropped instead of being retried for hours.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from stacks.constructs.lambda_defaults import FunctionSpec, TrunklineFunction
from stacks.constructs.live_metrics import LiveMetrics
from stacks.constructs.observability.names import POLLER_SERVICE

STACKS = ["Trunkline-dev-active", "Trunkline-dev-dr"]
POLLER = "metrics_poller.handler.lambda_handler"


def _poller(template: Template) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (k, dict(v))
        for k, v in template.find_resources("AWS::Lambda::Function").items()
        if v["Properties"]["Handler"] == POLLER
    ]
    return found


def _alias_of(template: Template, function_id: str) -> str:
    (alias,) = [
        k
        for k, v in template.find_resources("AWS::Lambda::Alias").items()
        if v["Properties"]["FunctionName"] == {"Ref": function_id}
    ]
    return alias


@pytest.mark.parametrize("stack", STACKS)
def test_one_poller_invocation_at_a_time(dev_stacks: dict[str, Template], stack: str) -> None:
    _, fn = _poller(dev_stacks[stack])
    assert fn["Properties"]["ReservedConcurrentExecutions"] == 1


@pytest.mark.parametrize("stack", STACKS)
def test_late_schedule_events_are_dropped_not_queued(dev_stacks: dict[str, Template], stack: str) -> None:
    template = dev_stacks[stack]
    fn_id, _ = _poller(template)
    alias = _alias_of(template, fn_id)
    configs = [
        c["Properties"]
        for c in template.find_resources("AWS::Lambda::EventInvokeConfig").values()
        if c["Properties"]["FunctionName"] == {"Ref": fn_id}
    ]
    assert len(configs) == 1
    # The qualifier is the live alias (CDK derives it from the alias ARN)
    assert configs[0]["Qualifier"] == {"Fn::Select": [7, {"Fn::Split": [":", {"Ref": alias}]}]}
    assert configs[0]["MaximumEventAgeInSeconds"] == 60
    assert configs[0]["MaximumRetryAttempts"] == 0
    (rule,) = [
        r
        for r in template.find_resources("AWS::Events::Rule").values()
        if "ScheduleExpression" in r["Properties"]
        and any(t["Arn"] == {"Ref": alias} for t in r["Properties"]["Targets"])
    ]
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Ref": alias}
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 60, "MaximumRetryAttempts": 0}


@pytest.mark.parametrize("stack", STACKS)
def test_the_poller_outlives_a_minute_only_within_its_timeout(dev_stacks: dict[str, Template], stack: str) -> None:
    _, fn = _poller(dev_stacks[stack])
    # 4 samples 15 s apart + a cycle's duration; bounded so a hung invocation cannot block the next for long.
    assert 60 <= fn["Properties"]["Timeout"] <= 90


@pytest.mark.parametrize("stack", STACKS)
def test_pages_failing_alarm(dev_stacks: dict[str, Template], stack: str) -> None:
    alarms = [
        a["Properties"]
        for a in dev_stacks[stack].find_resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "MetricsPagesFailed"
    ]
    assert len(alarms) == 1
    alarm = alarms[0]
    assert alarm["Namespace"] == "Trunkline"
    assert alarm["Dimensions"] == [{"Name": "service", "Value": POLLER_SERVICE}]
    assert (alarm["Statistic"], alarm["Period"], alarm["EvaluationPeriods"], alarm["Threshold"]) == ("Sum", 60, 5, 1)
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"  # no failed pages → no data points


@pytest.mark.parametrize("stack", STACKS)
def test_the_metrics_table_is_regional(dev_stacks: dict[str, Template], stack: str) -> None:
    # Each region polls its own instance: a replicated table would mix the two instances' snapshots.
    template = dev_stacks[stack]
    _, fn = _poller(template)
    table_ref = fn["Properties"]["Environment"]["Variables"]["METRICS_TABLE_NAME"]
    metrics_table = template.find_resources("AWS::DynamoDB::GlobalTable")[table_ref["Ref"]]
    assert metrics_table["Properties"]["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert len(metrics_table["Properties"]["Replicas"]) == 1  # this region only


def test_construct_alone_on_a_bare_stack() -> None:
    # The construct's contract without the regional stack around it (and no asset bundling).
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    stack = cdk.Stack(app, "Bare", env=cdk.Environment(account="111122223333", region="us-east-1"))
    arn = "arn:aws:connect:us-east-1:111122223333:instance/abc"
    from aws_cdk import aws_dynamodb as dynamodb
    from aws_cdk import aws_lambda as lambda_

    config = dynamodb.TableV2(
        stack, "Config", partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)
    )
    route = TrunklineFunction(
        stack,
        "Route",
        spec=FunctionSpec(handler="route.handler.lambda_handler", service="trunkline-route", description="route"),
        code=lambda_.Code.from_inline("def lambda_handler(event, context):\n    return {}\n"),
        log_retention_days=7,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    LiveMetrics(
        stack,
        "LiveMetrics",
        instance_arn=arn,
        config_table=config,
        config_table_name="config",
        route=route,
        production=False,
        code=lambda_.Code.from_inline("def lambda_handler(event, context):\n    return {}\n"),
        log_retention_days=7,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    template = Template.from_stack(stack)
    _, fn = _poller(template)
    assert fn["Properties"]["ReservedConcurrentExecutions"] == 1
    alarms = {a["Properties"]["MetricName"] for a in template.find_resources("AWS::CloudWatch::Alarm").values()}
    assert {"MetricsSnapshotsWritten", "MetricsPagesFailed"} <= alarms
