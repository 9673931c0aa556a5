"""Contact outcomes and observability infrastructure: the contact-event rule, its dead-letter queue, the call log,
the outcomes function, and (below) the alarm topic, every alarm, the dashboard and the saved queries."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk.assertions import Template

from stacks.constructs.bundling import bake_config
from tests.infra.conftest import ACTIVE, DEV_ARN, DR, ROOT, environment
from tests.infra.queries import (
    actions,
    alarms,
    alias_of,
    dashboard,
    dashboard_metrics,
    function,
    metric_dimensions,
    role_statements,
)

OUTCOMES = "outcomes.handler.lambda_handler"
CALLBACK = "callback.handler.lambda_handler"
STACKS = [ACTIVE, DR]


def _contact_event_rule(template: Template) -> dict[str, Any]:
    (rule,) = [
        r["Properties"]
        for r in template.find_resources("AWS::Events::Rule").values()
        if "EventPattern" in r["Properties"]
        and r["Properties"]["EventPattern"].get("detail-type") == ["Amazon Connect Contact Event"]
    ]
    return dict(rule)


def _table_of_env(template: Template, fn: dict[str, Any], variable: str) -> str:
    """The logical id of the table an environment variable of ``fn`` names (``{"Ref": <table>}``)."""
    value = fn["Properties"]["Environment"]["Variables"][variable]
    assert set(value) == {"Ref"}, f"{variable} is not a table of this stack: {value}"
    assert value["Ref"] in template.find_resources("AWS::DynamoDB::GlobalTable")
    return str(value["Ref"])


@pytest.mark.parametrize("stack", STACKS)
def test_contact_events_of_this_instance_reach_the_outcomes_alias(dev_stacks: dict[str, Template], stack: str) -> None:
    template = dev_stacks[stack]
    rule = _contact_event_rule(template)
    pattern = rule["EventPattern"]
    assert pattern["source"] == ["aws.connect"]
    assert pattern["detail-type"] == ["Amazon Connect Contact Event"]
    assert pattern["detail"]["instanceArn"] == [DEV_ARN[stack]]
    assert pattern["detail"]["eventType"] == [{"anything-but": ["CONTACT_DATA_UPDATED"]}]
    assert "EventBusName" not in rule  # the default bus: where Connect sends its events
    fn_id, _ = function(template, OUTCOMES)
    alias_id, _ = alias_of(template, fn_id)
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Ref": alias_id}
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600}


@pytest.mark.parametrize("stack", STACKS)
def test_failed_contact_events_land_in_an_encrypted_tls_only_queue(dev_stacks: dict[str, Template], stack: str) -> None:
    template = dev_stacks[stack]
    (target,) = _contact_event_rule(template)["Targets"]
    queue_id = target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
    queue = template.find_resources("AWS::SQS::Queue")[queue_id]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600
    statements = [
        s
        for p in template.find_resources("AWS::SQS::QueuePolicy").values()
        if {"Ref": queue_id} in p["Properties"]["Queues"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
    )
    (events_send,) = [s for s in statements if s.get("Principal") == {"Service": "events.amazonaws.com"}]
    assert events_send["Action"] == "sqs:SendMessage"
    # The function's own failures (after Lambda's async retries) go to the same queue.
    fn_id, _ = function(template, OUTCOMES)
    (config,) = [
        c["Properties"]
        for c in template.find_resources("AWS::Lambda::EventInvokeConfig").values()
        if c["Properties"]["FunctionName"] == {"Ref": fn_id}
    ]
    assert config["MaximumRetryAttempts"] == 2
    assert config["MaximumEventAgeInSeconds"] == 3600
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    # And the queue has its alarm (the contact-record stream's DLQ has its own: tests/infra/test_contact_records_infra).
    (alarm,) = [
        a["Properties"]
        for a in template.find_resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and a["Properties"]["Dimensions"][0]["Value"] == {"Fn::GetAtt": [queue_id, "QueueName"]}
    ]
    assert alarm["Namespace"] == "AWS/SQS"
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}]
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
    assert alarm["AlarmName"] == "trunkline-dev-outcomes-dead-lettered"


@pytest.mark.parametrize("stack", STACKS)
def test_call_log_is_keyed_by_contact_and_expires(dev_stacks: dict[str, Template], stack: str) -> None:
    template = dev_stacks[stack]
    _, fn = function(template, OUTCOMES)
    table_id = _table_of_env(template, fn, "CALL_LOG_TABLE_NAME")
    table = template.find_resources("AWS::DynamoDB::GlobalTable")[table_id]
    props = table["Properties"]
    assert props["KeySchema"] == [{"AttributeName": "contact_id", "KeyType": "HASH"}]
    # ended_hour: the key of the hour index the reconciliation reads (tests/infra/test_contact_records_infra.py).
    assert props["AttributeDefinitions"] == [
        {"AttributeName": "contact_id", "AttributeType": "S"},
        {"AttributeName": "ended_hour", "AttributeType": "S"},
    ]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert "TableName" not in props  # generated name
    (replica,) = props["Replicas"]  # regional: this region only, not a global table with replicas
    assert replica["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["DeletionPolicy"] == "Delete"  # dev


@pytest.mark.parametrize("stack", STACKS)
def test_outcomes_function_settings_and_grants(dev_stacks: dict[str, Template], stack: str) -> None:
    template = dev_stacks[stack]
    _, fn = function(template, OUTCOMES)
    props = fn["Properties"]
    assert props["FunctionName"] == "trunkline-dev-outcomes"
    assert props["Timeout"] == 30
    # Capped, so an event burst cannot starve the route function of the account's concurrency.
    assert props["ReservedConcurrentExecutions"] == 20
    env = props["Environment"]["Variables"]
    assert env["POWERTOOLS_SERVICE_NAME"] == "trunkline-outcomes"
    assert env["CALL_LOG_TTL_DAYS"] == "90"
    call_log = _table_of_env(template, fn, "CALL_LOG_TABLE_NAME")
    callback_table = _table_of_env(template, fn, "CALLBACK_TABLE_NAME")
    _, callback_fn = function(template, CALLBACK)
    assert callback_table == _table_of_env(template, callback_fn, "CALLBACK_TABLE_NAME")
    assert call_log != callback_table
    statements = role_statements(template, fn)
    for table_id in (call_log, callback_table):
        on_table = [s for s in statements if {"Fn::GetAtt": [table_id, "Arn"]} in _resources(s)]
        granted = actions(on_table)
        assert {"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem", "dynamodb:DeleteItem"} <= granted
        assert "dynamodb:*" not in granted
    # Nothing else: no config table, no Connect API (events carry what the call log needs).
    assert not [a for a in actions(statements) if a.startswith("connect:")]
    config_tables = {
        k
        for k, t in template.find_resources("AWS::DynamoDB::GlobalTable").items()
        if t["Properties"].get("TableName") == "trunkline-config-dev"
    }
    assert not [s for s in statements for t in config_tables if {"Fn::GetAtt": [t, "Arn"]} in _resources(s)]


def _resources(statement: dict[str, Any]) -> list[Any]:
    resource = statement["Resource"]
    return resource if isinstance(resource, list) else [resource]


def test_no_outcomes_without_an_instance(prod_stacks: dict[str, Template]) -> None:
    for template in prod_stacks.values():
        handlers = {f["Properties"]["Handler"] for f in template.find_resources("AWS::Lambda::Function").values()}
        assert OUTCOMES not in handlers
        assert not template.find_resources("AWS::SQS::Queue")


# Alarm topic, alarms, dashboard, saved queries ---------------------------------------------------------------

ALL = ["dev", "prod"]
INSTANCE_ID = "5f7c9b1e-0d3a-4a8e-9c1f-2b6d8e4a7c10"
REGION = {ACTIVE: "us-east-1", DR: "us-west-2"}
ROUTE = "route.handler.lambda_handler"
RUNBOOK_SECTION = re.compile(r"Runbook: docs/runbook\.md, '([^']+)'")


def _templates(env: str, dev_stacks: dict[str, Template], prod_stacks: dict[str, Template]) -> dict[str, Template]:
    return dev_stacks if env == "dev" else prod_stacks


def _topic(template: Template) -> str:
    (topic_id,) = template.find_resources("AWS::SNS::Topic")
    return topic_id


def _sla_queues() -> dict[str, tuple[str, int]]:
    """Queue key → (Connect queue name, sla_seconds) for every queue of config/ with an SLA."""
    queues = bake_config().document["queues"]
    records = queues.values() if isinstance(queues, dict) else queues
    return {q["key"]: (q["name"], q["sla_seconds"]) for q in records if q.get("sla_seconds")}


def _flow_names() -> set[str]:
    """The deployed names of the repository's flows (``trunkline-dev-<file stem>``)."""
    return {f"trunkline-dev-{p.stem}" for p in (ROOT / "contact_flows").glob("*.json")}


def _named(template: Template, name: str) -> dict[str, Any]:
    (alarm,) = [a for a in alarms(template).values() if a.get("AlarmName") == name]
    return alarm


def _metric_stats(alarm: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A math alarm's metrics by id: {"id": {"MetricName", "Namespace", "Dimensions" (as a dict), "Stat", "Period"}}."""
    out = {}
    for query in alarm["Metrics"]:
        if "MetricStat" in query:
            stat = query["MetricStat"]
            out[query["Id"]] = {
                "MetricName": stat["Metric"]["MetricName"],
                "Namespace": stat["Metric"]["Namespace"],
                "Dimensions": {d["Name"]: d["Value"] for d in stat["Metric"]["Dimensions"]},
                "Stat": stat["Stat"],
                "Period": stat["Period"],
            }
    return out


def _expression(alarm: dict[str, Any]) -> str:
    (expression,) = [q["Expression"] for q in alarm["Metrics"] if "Expression" in q]
    return str(expression)


@pytest.mark.parametrize("env", ALL)
def test_one_encrypted_tls_only_topic_per_region_with_the_configured_subscriptions(
    dev_stacks: dict[str, Template], prod_stacks: dict[str, Template], env: str
) -> None:
    emails = environment(env).alarm_emails
    for template in _templates(env, dev_stacks, prod_stacks).values():
        topic_id = _topic(template)
        topic = template.find_resources("AWS::SNS::Topic")[topic_id]["Properties"]
        key_id = topic["KmsMasterKeyId"]["Fn::GetAtt"][0]
        key = template.find_resources("AWS::KMS::Key")[key_id]["Properties"]
        assert key["EnableKeyRotation"] is True
        # CloudWatch can use the key (an alarm could not publish to a topic under alias/aws/sns).
        assert any(
            s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"} and "kms:GenerateDataKey*" in s["Action"]
            for s in key["KeyPolicy"]["Statement"]
        )
        (policy,) = [
            p["Properties"]["PolicyDocument"]["Statement"]
            for p in template.find_resources("AWS::SNS::TopicPolicy").values()
            if {"Ref": topic_id} in p["Properties"]["Topics"]
        ]
        assert any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in policy
        )
        assert any(s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"} for s in policy)
        subscriptions = [s["Properties"] for s in template.find_resources("AWS::SNS::Subscription").values()]
        assert sorted(s["Endpoint"] for s in subscriptions) == sorted(emails)
        assert all(s["Protocol"] == "email" and s["TopicArn"] == {"Ref": topic_id} for s in subscriptions)
    if env == "dev":
        assert emails  # the dev environment does exercise subscriptions


@pytest.mark.parametrize("env", ALL)
def test_every_alarm_notifies_the_topic_on_alarm_and_on_ok(
    dev_stacks: dict[str, Template], prod_stacks: dict[str, Template], env: str
) -> None:
    for stack, template in _templates(env, dev_stacks, prod_stacks).items():
        topic = {"Ref": _topic(template)}
        found = alarms(template)
        assert len(found) >= 7, stack  # two errors alarms, three route alarms, two tables at least
        for alarm_id, alarm in found.items():
            assert alarm["AlarmActions"] == [topic], alarm_id
            assert alarm["OKActions"] == [topic], alarm_id
            assert alarm["AlarmName"].startswith(f"trunkline-{env}-"), alarm_id
            assert "docs/runbook.md" in alarm["AlarmDescription"], alarm_id


@pytest.mark.parametrize("stack", STACKS)
def test_fallback_rate_alarm(dev_stacks: dict[str, Template], stack: str) -> None:
    alarm = _named(dev_stacks[stack], "trunkline-dev-route-fallback-rate")
    metrics = _metric_stats(alarm)
    names = {m["MetricName"]: metric_id for metric_id, m in metrics.items()}
    decisions = ["DecisionRouted", "DecisionClosed", "DecisionEmergency", "DecisionDefault", "DecisionErrorDefault"]
    assert set(names) == {"Fallback", *decisions}
    for metric in metrics.values():
        assert metric["Namespace"] == "Trunkline"
        assert metric["Dimensions"] == {"service": "trunkline-route"}
        assert (metric["Stat"], metric["Period"]) == ("Sum", 300)
    # Missing statuses count as 0 (one absent term would blank the sum), and below 20 decisions there is no rate.
    total = " + ".join(f"FILL({names[d]}, 0)" for d in decisions)
    assert _expression(alarm) == f"IF(({total}) >= 20, 100 * FILL({names['Fallback']}, 0) / ({total}), 0)"
    assert (alarm["Threshold"], alarm["ComparisonOperator"], alarm["EvaluationPeriods"]) == (
        20,
        "GreaterThanThreshold",
        1,
    )


@pytest.mark.parametrize("stack", STACKS)
def test_route_p99_latency_alarm_watches_the_live_alias(dev_stacks: dict[str, Template], stack: str) -> None:
    template = dev_stacks[stack]
    alarm = _named(template, "trunkline-dev-route-p99-latency")
    fn_id, _ = function(template, ROUTE)
    assert (alarm["Namespace"], alarm["MetricName"], alarm["ExtendedStatistic"]) == ("AWS/Lambda", "Duration", "p99")
    dimensions = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
    assert dimensions["FunctionName"] == {"Ref": fn_id}
    assert dimensions["Resource"] == {"Fn::Join": ["", [{"Ref": fn_id}, ":live"]]}
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (500, "GreaterThanThreshold")
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"], alarm["Period"]) == (5, 3, 60)


@pytest.mark.parametrize("stack", STACKS)
def test_stale_config_alarm(dev_stacks: dict[str, Template], stack: str) -> None:
    alarm = _named(dev_stacks[stack], "trunkline-dev-route-config-stale")
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (
        "Trunkline",
        "ConfigStalenessSeconds",
        "Maximum",
    )
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "trunkline-route"}]
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (300, "GreaterThanThreshold")
    assert alarm["TreatMissingData"] == "notBreaching"


# Alarm name (without ``trunkline-dev-``) → (threshold, comparison, evaluation periods, datapoints to alarm, missing
# data, period of every metric it reads): the windows of docs/design/observability.md's alarm table.
WINDOWS: dict[str, tuple[float, str, int, int | None, str, int]] = {
    "route-errors": (1, "GreaterThanOrEqualToThreshold", 1, None, "notBreaching", 60),
    "callback-errors": (1, "GreaterThanOrEqualToThreshold", 1, None, "notBreaching", 60),
    "outcomes-errors": (1, "GreaterThanOrEqualToThreshold", 1, None, "notBreaching", 60),
    "metrics-poller-errors": (1, "GreaterThanOrEqualToThreshold", 1, None, "notBreaching", 60),
    "route-logic-errors": (1, "GreaterThanOrEqualToThreshold", 1, None, "notBreaching", 60),
    "route-fallback-rate": (20, "GreaterThanThreshold", 1, None, "notBreaching", 300),
    "route-p99-latency": (500, "GreaterThanThreshold", 5, 3, "notBreaching", 60),
    "route-config-stale": (300, "GreaterThanThreshold", 1, None, "notBreaching", 60),
    "live-metrics-stale": (1, "LessThanThreshold", 3, None, "breaching", 60),
    "live-metrics-pages-failing": (1, "GreaterThanOrEqualToThreshold", 5, None, "notBreaching", 60),
    "dynamodb-throttled-config": (1, "GreaterThanOrEqualToThreshold", 1, None, "notBreaching", 300),
    "flow-fatal-errors-inbound": (1, "GreaterThanOrEqualToThreshold", 1, None, "notBreaching", 60),
    "outcomes-dead-lettered": (1, "GreaterThanOrEqualToThreshold", 1, None, "notBreaching", 60),
}


@pytest.mark.parametrize("name", sorted(WINDOWS))
def test_alarm_threshold_and_window(dev_stacks: dict[str, Template], name: str) -> None:
    alarm = _named(dev_stacks[ACTIVE], f"trunkline-dev-{name}")
    threshold, comparison, periods, datapoints, missing, period = WINDOWS[name]
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (threshold, comparison)
    assert (alarm["EvaluationPeriods"], alarm.get("DatapointsToAlarm")) == (periods, datapoints)
    assert alarm["TreatMissingData"] == missing
    periods_read = {m["Period"] for m in _metric_stats(alarm).values()} if "Metrics" in alarm else {alarm["Period"]}
    assert periods_read == {period}


@pytest.mark.parametrize("env", ALL)
def test_every_table_of_the_stack_has_a_throttling_alarm(
    dev_stacks: dict[str, Template], prod_stacks: dict[str, Template], env: str
) -> None:
    for stack, template in _templates(env, dev_stacks, prod_stacks).items():
        tables = template.find_resources("AWS::DynamoDB::GlobalTable")
        expected: list[dict[str, str] | str] = [{"Ref": t} for t in tables]
        if stack.endswith("-dr"):
            expected.append(f"trunkline-config-{env}")  # the DR stack's config table is the replica, by name
        watched = []
        for alarm in alarms(template).values():
            if not alarm.get("AlarmName", "").startswith(f"trunkline-{env}-dynamodb-throttled-"):
                continue
            metrics = _metric_stats(alarm)
            assert {m["MetricName"] for m in metrics.values()} == {"ReadThrottleEvents", "WriteThrottleEvents"}
            (table,) = {json.dumps(m["Dimensions"]["TableName"]) for m in metrics.values()}
            assert all(
                set(m["Dimensions"]) == {"TableName"} and m["Namespace"] == "AWS/DynamoDB" for m in metrics.values()
            )
            assert _expression(alarm) == " + ".join(f"FILL({m}, 0)" for m in metrics)
            assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
            assert {m["Period"] for m in metrics.values()} == {300}
            watched.append(table)
        assert sorted(watched) == sorted(json.dumps(t) for t in expected), stack


@pytest.mark.parametrize("stack", STACKS)
def test_one_fatal_error_alarm_per_deployed_flow(dev_stacks: dict[str, Template], stack: str) -> None:
    template = dev_stacks[stack]
    # Both regions alarm on the flows by name: the DR replica runs the primary's flows (dr_model replica).
    flows = _flow_names()
    assert flows
    watched = []
    for alarm in alarms(template).values():
        if alarm.get("MetricName") != "ContactFlowFatalErrors":
            continue
        assert alarm["Namespace"] == "AWS/Connect"
        dimensions = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
        assert set(dimensions) == {"InstanceId", "MetricGroup", "ContactFlowName"}
        assert (dimensions["InstanceId"], dimensions["MetricGroup"]) == (INSTANCE_ID, "ContactFlow")
        assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
        watched.append(dimensions["ContactFlowName"])
    assert sorted(watched) == sorted(flows)


@pytest.mark.parametrize("stack", STACKS)
def test_one_sla_alarm_per_queue_with_an_sla_in_nested_stacks_that_notify_the_topic(
    dev_stacks: dict[str, Template], dev_sla_stacks: dict[str, list[tuple[str, Template]]], stack: str
) -> None:
    expected = _sla_queues()
    assert expected
    parent = dev_stacks[stack]
    topic = {"Ref": _topic(parent)}
    assert not [a for a in alarms(parent).values() if a.get("MetricName") == "LongestQueueWaitTime"]
    nested = dev_sla_stacks[stack]
    assert len(nested) == 1  # 23 queues: one nested stack (a new one per SLA_ALARMS_PER_NESTED_STACK queues)
    found = {}
    for logical_id, template in nested:
        parameters = parent.find_resources("AWS::CloudFormation::Stack")[logical_id]["Properties"]["Parameters"]
        for alarm in alarms(template).values():
            assert alarm["MetricName"] == "LongestQueueWaitTime"
            dimensions = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
            assert set(dimensions) == {"InstanceId", "MetricGroup", "QueueName"}
            assert (dimensions["InstanceId"], dimensions["MetricGroup"]) == (INSTANCE_ID, "Queue")
            assert (alarm["Namespace"], alarm["Statistic"], alarm["Period"]) == ("AWS/Connect", "Maximum", 60)
            assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (3, 3)
            assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
            assert alarm["TreatMissingData"] == "notBreaching"
            # The topic ARN reaches the nested stack as a parameter the parent fills with the topic.
            for action in ("AlarmActions", "OKActions"):
                (ref,) = alarm[action]
                assert parameters[ref["Ref"]] == topic
            assert "docs/runbook.md, 'Longest wait above SLA'" in alarm["AlarmDescription"]
            key = alarm["AlarmName"].removeprefix("trunkline-dev-queue-sla-")
            found[key] = (dimensions["QueueName"], alarm["Threshold"])
    assert found == {key.replace("_", "-"): value for key, value in expected.items()}


def test_a_600_queue_centre_splits_its_sla_alarms_to_stay_under_the_resource_limit() -> None:
    """CloudFormation refuses a stack of more than 500 resources: measured 686 for 600 SLA queues in one stack."""
    import aws_cdk as cdk

    from stacks.constructs.observability import SLA_ALARMS_PER_NESTED_STACK, ConnectSignals, Observability, QueueSla
    from tests.infra.conftest import cdk_context

    app = cdk.App(context=cdk_context())
    stack = cdk.Stack(app, "Scale", env=cdk.Environment(account="111122223333", region="us-east-1"))
    queues = tuple(QueueSla(f"q{i:04d}", f"Queue {i:04d}", 60) for i in range(600))
    observability = _bare_observability(stack, ConnectSignals(INSTANCE_ID, {}, queues), Observability)
    template = Template.from_stack(stack)
    assert len(observability.sla_stacks) == -(-600 // SLA_ALARMS_PER_NESTED_STACK)
    assert len(template.to_json()["Resources"]) < 100
    counts = [len(alarms(Template.from_stack(n))) for n in observability.sla_stacks]
    assert sum(counts) == 600
    assert max(counts) <= SLA_ALARMS_PER_NESTED_STACK < 500
    _, body = dashboard(template)
    assert "queue-sla-q0599" in json.dumps(body)  # the status widgets show nested alarms by ARN, without outputs
    assert not template.to_json().get("Outputs")


def test_a_feature_adds_its_alarm_and_dashboard_row_through_the_extension_point() -> None:
    """What the contact-record drift alarm will do: ``alarm`` in its construct, a ``DashboardSection`` passed in."""
    import aws_cdk as cdk
    from constructs import Construct

    from stacks.constructs.observability import DashboardSection, Observability, alarm, graph, service_metric
    from stacks.constructs.observability.helpers import GREATER
    from tests.infra.conftest import cdk_context

    app = cdk.App(context=cdk_context())
    stack = cdk.Stack(app, "Feature", env=cdk.Environment(account="111122223333", region="us-east-1"))
    feature = Construct(stack, "ContactRecords")
    drift = service_metric("ReconciliationDrift", "trunkline-contact-records", statistic="Maximum")
    alarm(
        feature,
        "Drift",
        name="trunkline-scale-contact-records-drift",
        description="Outcome metrics and contact records disagree.",
        runbook="Function errors",
        metric=drift,
        threshold=5,
        comparison=GREATER,
    )
    section = DashboardSection("Contact records", [graph("Reconciliation drift", [drift], width=24)])
    _bare_observability(stack, None, Observability, sections=[section])
    template = Template.from_stack(stack)
    topic = {"Ref": _topic(template)}
    feature_alarm = _named(template, "trunkline-scale-contact-records-drift")
    assert feature_alarm["AlarmActions"] == feature_alarm["OKActions"] == [topic]
    assert feature_alarm["AlarmDescription"].endswith("Runbook: docs/runbook.md, 'Function errors'.")
    assert (feature_alarm["Threshold"], feature_alarm["TreatMissingData"]) == (5, "notBreaching")
    _, body = dashboard(template)
    texts = [w["properties"]["markdown"] for w in body["widgets"] if w["type"] == "text"]
    assert texts[-1] == "## Contact records"  # after the built-in sections
    (status,) = [w for w in body["widgets"] if w["type"] == "alarm"]
    assert len(status["properties"]["alarms"]) == len(alarms(template))  # the feature's alarm is on the strip
    assert body["widgets"][-1]["properties"]["title"] == "Reconciliation drift"


def _bare_observability(stack: Any, connect: Any, observability: Any, **extra: Any) -> Any:
    """An Observability construct on a stack with one function and nothing else."""
    from aws_cdk import RemovalPolicy
    from aws_cdk import aws_lambda as lambda_

    from stacks.constructs.lambda_defaults import FunctionSpec, TrunklineFunction
    from stacks.constructs.observability import QueryLogGroups

    route = TrunklineFunction(
        stack,
        "Route",
        spec=FunctionSpec(
            handler="route.handler.lambda_handler",
            service="trunkline-route",
            function_name="trunkline-scale-route",
            description="route",
        ),
        code=lambda_.Code.from_inline("def lambda_handler(event, context):\n    return {}\n"),
        log_retention_days=30,
        removal_policy=RemovalPolicy.DESTROY,
    )
    return observability(
        stack,
        "Observability",
        env_name="scale",
        alarm_emails=[],
        route=route,
        functions={"route": route},
        tables={},
        log_groups=QueryLogGroups(route=route.log_group, callback=route.log_group),
        lines_of_business=["lob00"],
        connect=connect,
        removal_policy=RemovalPolicy.DESTROY,
        **extra,
    )


def test_without_an_instance_no_connect_alarms_and_no_outcome_query(prod_stacks: dict[str, Template]) -> None:
    for template in prod_stacks.values():
        assert not [a for a in alarms(template).values() if a.get("Namespace") == "AWS/Connect"]
        names = {q["Properties"]["Name"] for q in template.find_resources("AWS::Logs::QueryDefinition").values()}
        assert "trunkline-prod/abandoned-by-queue" not in names
        _, body = dashboard(template)
        assert "AWS/Connect" not in json.dumps(body)


@pytest.mark.parametrize("stack", STACKS)
def test_dashboard_shows_connect_metrics_with_their_dimension_sets(dev_stacks: dict[str, Template], stack: str) -> None:
    template = dev_stacks[stack]
    props, body = dashboard(template)
    assert props["DashboardName"] == f"trunkline-dev-{REGION[stack]}"
    lines = [line for _, line in dashboard_metrics(body)]
    connect = [line for line in lines if line[0] == "AWS/Connect"]
    by_name: dict[str, list[dict[str, Any]]] = {}
    for line in connect:
        by_name.setdefault(line[1], []).append(metric_dimensions(line))
    sla_names = sorted(name for name, _ in _sla_queues().values())
    for name in ("QueueSize", "LongestQueueWaitTime"):
        assert all(d["InstanceId"] == INSTANCE_ID and d["MetricGroup"] == "Queue" for d in by_name[name])
        assert sorted(d["QueueName"] for d in by_name[name]) == sla_names
    flows = sorted(_flow_names())
    for name in ("ContactFlowErrors", "ContactFlowFatalErrors"):
        assert all(d["MetricGroup"] == "ContactFlow" for d in by_name[name])
        assert sorted(d["ContactFlowName"] for d in by_name[name]) == flows
    for name in ("ThrottledCalls", "CallsBreachingConcurrencyQuota"):
        assert by_name[name] == [{"InstanceId": INSTANCE_ID, "MetricGroup": "VoiceCalls"}]
    searches = [line[0]["expression"] for line in lines if isinstance(line[0], dict) and "expression" in line[0]]
    (not_dialable,) = [s for s in searches if "CallBackNotDialableNumber" in s]
    assert "{AWS/Connect,InstanceId,MetricGroup,QueueName}" in not_dialable
    assert f'InstanceId="{INSTANCE_ID}"' in not_dialable
    (packet_loss,) = [s for s in searches if "ToInstancePacketLossRate" in s]
    assert 'Namespace="AWS/Connect"' in packet_loss
    assert INSTANCE_ID in packet_loss
    assert all(len(widget["properties"].get("metrics", [])) <= 100 for widget in body["widgets"])


@pytest.mark.parametrize("stack", STACKS)
def test_dashboard_routing_outcome_and_table_sections(dev_stacks: dict[str, Template], stack: str) -> None:
    template = dev_stacks[stack]
    _, body = dashboard(template)
    lines = [line for _, line in dashboard_metrics(body)]
    trunkline = [(line[1], metric_dimensions(line)) for line in lines if line[0] == "Trunkline"]
    route = {name for name, dims in trunkline if dims == {"service": "trunkline-route"}}
    assert {
        "DecisionRouted",
        "DecisionErrorDefault",
        "Fallback",
        "RouteError",
        "ConfigVersionAgeSeconds",
        "ConfigStalenessSeconds",
        "DecisionLatency",
        "MetricsSnapshotAgeSeconds",
    } <= route
    callback = {name for name, dims in trunkline if dims == {"service": "trunkline-callback"}}
    assert {"CallbackCreated", "CallbackDuplicate", "CallbackRejectedQueueFull", "CallbackError"} <= callback
    # Every metric the callback service can emit is graphed (the two-phase ones and the out-of-time one included).
    from routing.callback.service import EMITTED_METRICS

    assert {"CallbackReserved", "CallbackReleased", "CallbackConfirmedLate", "CallbackStoreUnavailable"} <= callback
    assert not EMITTED_METRICS - callback, sorted(EMITTED_METRICS - callback)
    lobs = set(bake_config().document["lines_of_business"]) | {"unknown"}  # untagged contacts count as "unknown"
    assert len(lobs) > 1
    for name in ("ContactsAbandoned", "ContactsAnswered", "TimeToAnswer", "CallbacksCompleted", "CallbacksFailed"):
        assert {
            dims["line_of_business"]
            for metric, dims in trunkline
            if metric == name and dims.get("service") == "trunkline-outcomes"
        } == lobs, name
    expressions = [line[0]["expression"] for line in lines if isinstance(line[0], dict) and "expression" in line[0]]
    # One abandonment rate per line of business; a minute without abandons reads 0 %, not a gap.
    rates = [e for e in expressions if e.startswith("100 * FILL(ab")]
    assert len(rates) == len(lobs)
    assert all(re.fullmatch(r"100 \* FILL\(ab(\d+), 0\) / \(FILL\(an\1, 0\) \+ FILL\(ab\1, 0\)\)", e) for e in rates)
    # The config version in use, from the decision lines of the route log group.
    (query,) = [w for w in body["widgets"] if w["type"] == "log"]
    assert 'filter message = "decision"' in query["properties"]["query"]
    assert "by config_version, config_source" in query["properties"]["query"]
    assert any("FallbackByReason" in e for e in expressions)
    # Every table's latency and throttles.
    tables = [f"${{{t}}}" for t in template.find_resources("AWS::DynamoDB::GlobalTable")]
    latency = [e for e in expressions if "SuccessfulRequestLatency" in e]
    assert all(any(t in e for e in latency) for t in tables)
    throttled = {
        json.dumps(metric_dimensions(line)) for line in lines if line[:2] == ["AWS/DynamoDB", "ReadThrottleEvents"]
    }
    assert all(json.dumps({"TableName": t}) in throttled for t in tables)
    # Lambda errors, throttles and duration for every function of the stack.
    functions = {
        f"${{{k}}}"
        for k, v in template.find_resources("AWS::Lambda::Function").items()
        if v["Properties"]["Handler"] != "framework.onEvent"
    }
    for name in ("Errors", "Throttles", "Duration"):
        shown = {metric_dimensions(line)["FunctionName"] for line in lines if line[:2] == ["AWS/Lambda", name]}
        assert functions <= shown, name


@pytest.mark.parametrize("stack", STACKS)
def test_saved_queries_read_the_right_log_groups(dev_stacks: dict[str, Template], stack: str) -> None:
    template = dev_stacks[stack]

    def log_group(handler: str) -> dict[str, Any]:
        _, fn = function(template, handler)
        return dict(fn["Properties"]["LoggingConfig"]["LogGroup"])

    queries = {
        q["Properties"]["Name"]: q["Properties"] for q in template.find_resources("AWS::Logs::QueryDefinition").values()
    }
    expected = {
        "trunkline-dev/why-contact": (
            ROUTE,
            ['message = "decision"', "contact_id", "fallback_reason", "config_version"],
        ),
        "trunkline-dev/fallbacks-last-hour": (ROUTE, ["ispresent(fallback_reason)", "count() by fallback_reason"]),
        "trunkline-dev/slowest-decisions": (ROUTE, ["sort elapsed_ms desc", "limit 50"]),
        "trunkline-dev/callback-rejects": (
            CALLBACK,
            [
                'message = "callback"',
                'not in ["RESERVED", "CONFIRMED", "RELEASED", "DUPLICATE"]',
                "count() by callback_status, queue_key",
            ],
        ),
        "trunkline-dev/abandoned-by-queue": (
            OUTCOMES,
            ['message = "contact outcome"', 'outcome = "ABANDONED"', "count() by queue_key"],
        ),
    }
    assert set(queries) == set(expected)
    for name, (handler, fragments) in expected.items():
        assert queries[name]["LogGroupNames"] == [log_group(handler)], name
        for fragment in fragments:
            assert fragment in queries[name]["QueryString"], (name, fragment)


@pytest.mark.parametrize("env", ALL)
def test_every_alarm_names_a_runbook_section_that_exists(
    dev_stacks: dict[str, Template], prod_stacks: dict[str, Template], env: str
) -> None:
    headings = {
        line.removeprefix("### ").strip()
        for line in (ROOT / "docs" / "runbook.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("### ")
    }
    for template in _templates(env, dev_stacks, prod_stacks).values():
        for alarm_id, alarm in alarms(template).items():
            match = RUNBOOK_SECTION.search(alarm["AlarmDescription"])
            assert match, f"{alarm_id}: no runbook section in {alarm['AlarmDescription']!r}"
            assert match.group(1) in headings, f"{alarm_id}: docs/runbook.md has no section {match.group(1)!r}"
