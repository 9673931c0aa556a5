"""Contact records infrastructure: the encrypted stream and the instance's storage config, the consumer's event
source mapping (bisect, retries, partial failures, DLQ), reserved concurrency, the call log's hour index, the hourly
reconciliation (schedule, least privilege), the drift alarm and the dashboard widgets."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from tests.infra.conftest import ACTIVE, DEV_ARN, DR

STACKS = [ACTIVE, DR]


def _fn(template: Template, handler: str) -> tuple[str, Any]:
    (found,) = [
        (k, v)
        for k, v in template.find_resources("AWS::Lambda::Function").items()
        if v["Properties"]["Handler"] == handler
    ]
    return found


def _statements(template: Template, fn: dict[str, Any]) -> list[dict[str, Any]]:
    role = fn["Properties"]["Role"]["Fn::GetAtt"][0]
    return [
        st
        for p in template.find_resources("AWS::IAM::Policy").values()
        if {"Ref": role} in p["Properties"]["Roles"]
        for st in p["Properties"]["PolicyDocument"]["Statement"]
    ]


@pytest.mark.parametrize("stack", STACKS)
def test_the_instance_streams_its_contact_records_to_an_encrypted_stream(
    dev_stacks: dict[str, Template], stack: str
) -> None:
    template = dev_stacks[stack]
    (stream_id,) = template.find_resources(
        "AWS::Kinesis::Stream",
        {"Properties": {"StreamEncryption": {"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"}}},
    )
    template.has_resource_properties(
        "AWS::Connect::InstanceStorageConfig",
        {
            "InstanceArn": DEV_ARN[stack],
            "ResourceType": "CONTACT_TRACE_RECORDS",
            "StorageType": "KINESIS_STREAM",
            "KinesisStreamConfig": {"StreamArn": {"Fn::GetAtt": [stream_id, "Arn"]}},
        },
    )


@pytest.mark.parametrize("stack", STACKS)
def test_the_consumer_reads_the_stream_with_bisect_retries_partial_failures_and_a_dlq(
    dev_stacks: dict[str, Template], stack: str
) -> None:
    template = dev_stacks[stack]
    fn_id, fn = _fn(template, "contact_records.handler.lambda_handler")
    assert fn["Properties"]["ReservedConcurrentExecutions"] == 1  # one shard: one concurrent batch
    (queue_id,) = template.find_resources("AWS::SQS::Queue", {"Properties": {"SqsManagedSseEnabled": True}}).keys() & {
        k
        for k, m in template.find_resources("AWS::Lambda::EventSourceMapping").items()
        for k in [m["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]]
    }
    (mapping,) = template.find_resources("AWS::Lambda::EventSourceMapping").values()
    props = mapping["Properties"]
    assert props["BisectBatchOnFunctionError"] is True
    assert props["MaximumRetryAttempts"] == 5
    assert props["MaximumRecordAgeInSeconds"] == 86_400
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["StartingPosition"] == "TRIM_HORIZON"
    assert "live" in json.dumps(props["FunctionName"]) or "Alias" in json.dumps(props["FunctionName"]), props
    assert props["FunctionName"] != {"Ref": fn_id}  # the live alias, not the unqualified function
    assert queue_id
    reads = [s for s in _statements(template, fn) if "kinesis:GetRecords" in s["Action"]]
    assert reads


@pytest.mark.parametrize("stack", STACKS)
def test_the_call_log_has_the_hour_index_the_reconciliation_queries(
    dev_stacks: dict[str, Template], stack: str
) -> None:
    dev_stacks[stack].has_resource_properties(
        "AWS::DynamoDB::GlobalTable",
        {
            "KeySchema": [{"AttributeName": "contact_id", "KeyType": "HASH"}],
            "GlobalSecondaryIndexes": [
                Match.object_like(
                    {"IndexName": "by-ended-hour", "KeySchema": [{"AttributeName": "ended_hour", "KeyType": "HASH"}]}
                )
            ],
        },
    )


@pytest.mark.parametrize("stack", STACKS)
def test_the_reconciliation_runs_hourly_alone_and_reads_only_this_instances_metrics(
    dev_stacks: dict[str, Template], stack: str
) -> None:
    template = dev_stacks[stack]
    fn_id, fn = _fn(template, "reconcile.handler.lambda_handler")
    assert fn["Properties"]["ReservedConcurrentExecutions"] == 1
    assert fn["Properties"]["Environment"]["Variables"]["CONNECT_INSTANCE_ARN"] == DEV_ARN[stack]
    connect = [s for s in _statements(template, fn) if str(s["Action"]).startswith("connect:")]
    assert connect == [
        {
            "Action": "connect:GetMetricDataV2",
            "Effect": "Allow",
            "Resource": [DEV_ARN[stack], f"{DEV_ARN[stack]}/queue/*"],
        }
    ]
    rules = [
        r
        for r in template.find_resources("AWS::Events::Rule").values()
        if r["Properties"].get("ScheduleExpression") == "cron(15 * * * ? *)"
    ]
    assert len(rules) == 1
    assert fn_id


@pytest.mark.parametrize("stack", STACKS)
def test_the_drift_and_dead_letter_alarms_watch_what_the_functions_emit(
    dev_stacks: dict[str, Template], stack: str
) -> None:
    from routing.outcomes.reconcile import Reconciliation

    template = dev_stacks[stack]
    emitted = {name for name, _unit, _value in Reconciliation(hour_start=None, queues=()).metrics()}  # type: ignore[arg-type]
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmName": "trunkline-dev-outcome-drift",
            "MetricName": "ReconcileQueuesDrifting",
            "Namespace": "Trunkline",
            "Dimensions": [{"Name": "service", "Value": "trunkline-reconcile"}],
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "Period": 3600,
        },
    )
    assert "ReconcileQueuesDrifting" in emitted
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmName": "trunkline-dev-contact-records-dead-lettered",
            "MetricName": "ApproximateNumberOfMessagesVisible",
        },
    )
    (dashboard,) = template.find_resources("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for name in emitted - {"ReconcileQueuesDrifting"}:
        assert name in body, name
