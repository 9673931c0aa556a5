"""Contact outcomes and observability infrastructure: the contact-event rule, its dead-letter queue, the call log,
the outcomes function, and (below) the alarm topic, every alarm, the dashboard and the saved queries."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Template

from tests.infra.queries import actions, alias_of, function, role_statements

ACTIVE, DR = "Trunkline-dev-active", "Trunkline-dev-dr"
DEV_ARN = {
    ACTIVE: "arn:aws:connect:us-east-1:111122223333:instance/5f7c9b1e-0d3a-4a8e-9c1f-2b6d8e4a7c10",
    DR: "arn:aws:connect:us-west-2:111122223333:instance/5f7c9b1e-0d3a-4a8e-9c1f-2b6d8e4a7c10",
}
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
    return rule


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
    # And the queue has its alarm.
    (alarm,) = [
        a["Properties"]
        for a in template.find_resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
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
    assert props["AttributeDefinitions"] == [{"AttributeName": "contact_id", "AttributeType": "S"}]
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
