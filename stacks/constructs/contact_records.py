"""Contact records: the instance's contact-record stream (Kinesis, encrypted) → the ``contact-records`` function →
the call log; the hourly reconciliation with ``GetMetricDataV2``; their alarms and dashboard widgets
(``docs/design/observability.md``, "Design: contact records")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from aws_cdk import Acknowledgment, CfnElement, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_connect as connect
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks.constructs.dead_letters import dead_letter_queue
from stacks.constructs.lambda_defaults import FunctionSpec, TrunklineFunction

RECORDS_SERVICE = "trunkline-contact-records"
RECONCILE_SERVICE = "trunkline-reconcile"
ENDED_HOUR_INDEX = "by-ended-hour"  # routing.common.models.CallLogByEndedHour
STREAM_RETENTION = Duration.days(7)  # the replay window of a dead-lettered batch (the DLQ holds pointers only)
BATCH_SIZE = 100
RETRY_ATTEMPTS = 5
MAX_RECORD_AGE = Duration.hours(24)
DRIFT_METRICS = ("Abandoned", "Handled")


@dataclass(frozen=True, slots=True)
class _Base:
    """What every function of this construct shares."""

    name_prefix: str
    code: lambda_.Code
    log_retention_days: int
    removal_policy: RemovalPolicy


def _metric(name: str, service: str, *, statistic: str = "Sum", period: Duration | None = None) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace="Trunkline",
        metric_name=name,
        dimensions_map={"service": service},
        statistic=statistic,
        period=period or Duration.hours(1),
    )


class ContactRecords(Construct):
    """One per region with a Connect instance: each instance streams its own records into its own call log."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        instance_arn: str,
        call_log: dynamodb.TableV2,
        callback_table: dynamodb.ITableV2,
        name_prefix: str,
        code: lambda_.Code,
        log_retention_days: int,
        removal_policy: RemovalPolicy,
        shards: int = 1,
        tolerance_contacts: int = 2,
        tolerance_percent: float = 5.0,
    ) -> None:
        super().__init__(scope, construct_id)
        self.stream, self.storage = self._stream(instance_arn, shards, removal_policy)
        call_log.add_global_secondary_index(
            index_name=ENDED_HOUR_INDEX,
            partition_key=dynamodb.Attribute(name="ended_hour", type=dynamodb.AttributeType.STRING),
        )
        base = _Base(name_prefix, code, log_retention_days, removal_policy)
        self.consumer = self._consumer(call_log=call_log, callback_table=callback_table, base=base)
        cast(lambda_.CfnFunction, self.consumer.function.node.default_child).reserved_concurrent_executions = shards
        self.reconciler = self._reconciler(
            instance_arn=instance_arn,
            call_log=call_log,
            tolerance_contacts=tolerance_contacts,
            tolerance_percent=tolerance_percent,
            base=base,
        )
        table_id = Stack.of(self).get_logical_id(cast(CfnElement, call_log.node.default_child))
        for role in (self.consumer.role, self.reconciler.role):
            Validations.of(role).acknowledge(
                Acknowledgment(
                    id=f"AwsSolutions::AwsSolutions-IAM5[Resource::<{table_id}.Arn>/index/*]",
                    reason="The call log's indexes: the reconciliation queries by-ended-hour; CDK's table grant "
                    "adds the table's indexes to the consumer's read-write access.",
                )
            )
        self.drift_alarm = cloudwatch.Alarm(
            self,
            "Drift",
            alarm_name=f"{name_prefix}-outcome-drift",
            alarm_description="Our abandoned or handled count of a queue differs from Connect's own "
            f"(GetMetricDataV2) beyond the tolerance ({tolerance_contacts} contacts or {tolerance_percent} %). "
            "Runbook: docs/runbook.md, 'Outcome drift from Connect'.",
            metric=_metric("ReconcileQueuesDrifting", RECONCILE_SERVICE, statistic="Maximum"),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

    def _stream(
        self, instance_arn: str, shards: int, removal_policy: RemovalPolicy
    ) -> tuple[kinesis.Stream, connect.CfnInstanceStorageConfig]:
        """The encrypted stream and the instance's contact-record storage config pointing at it."""
        # Server-side encryption with the AWS-managed key: Connect can write to it with no key grant, while a
        # customer-managed key would have to be the instance's own recordings key (reference §9.2).
        stream = kinesis.Stream(
            self,
            "Stream",
            shard_count=shards,
            retention_period=STREAM_RETENTION,
            encryption=kinesis.StreamEncryption.MANAGED,
            removal_policy=removal_policy,
        )
        Validations.of(stream).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-KDS3",
                reason="Encrypted with the AWS-managed aws/kinesis key on purpose: Amazon Connect cannot use a "
                "customer-managed key for the contact-record stream unless it is the instance's own storage key.",
            )
        )
        storage = connect.CfnInstanceStorageConfig(
            self,
            "StorageConfig",
            instance_arn=instance_arn,
            resource_type="CONTACT_TRACE_RECORDS",
            storage_type="KINESIS_STREAM",
            kinesis_stream_config=connect.CfnInstanceStorageConfig.KinesisStreamConfigProperty(
                stream_arn=stream.stream_arn
            ),
        )
        return stream, storage

    def _consumer(
        self,
        *,
        call_log: dynamodb.TableV2,
        callback_table: dynamodb.ITableV2,
        base: _Base,
    ) -> TrunklineFunction:
        name_prefix, removal_policy = base.name_prefix, base.removal_policy
        consumer = TrunklineFunction(
            self,
            "Consumer",
            spec=FunctionSpec(
                handler="contact_records.handler.lambda_handler",
                service=RECORDS_SERVICE,
                description="Merges Amazon Connect contact records into the call log (records are the authority)",
                function_name=f"{name_prefix}-contact-records",
                timeout_seconds=60,
                memory_mb=512,
                environment={
                    "CALL_LOG_TABLE_NAME": call_log.table_name,
                    "CALLBACK_TABLE_NAME": callback_table.table_name,
                },
            ),
            code=base.code,
            log_retention_days=base.log_retention_days,
            removal_policy=removal_policy,
        )
        call_log.grant_read_write_data(consumer.function)
        callback_table.grant_read_write_data(consumer.function)  # a callback's record releases its lock
        self.dead_letters = self._dead_letters(removal_policy)
        consumer.alias.add_event_source(
            sources.KinesisEventSource(
                self.stream,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=BATCH_SIZE,
                bisect_batch_on_error=True,
                retry_attempts=RETRY_ATTEMPTS,
                max_record_age=MAX_RECORD_AGE,
                report_batch_item_failures=True,
                parallelization_factor=1,
                on_failure=sources.SqsDlq(self.dead_letters),
            )
        )
        self.dead_letters_alarm = self._dead_letters_alarm(name_prefix)
        return consumer

    def _dead_letters(self, removal_policy: RemovalPolicy) -> sqs.Queue:
        """The stream mapping's on-failure destination (encrypted, TLS only)."""
        # The DLQ receives the failed batch's shard and sequence numbers (not the records): replay from the stream.
        return dead_letter_queue(
            self, "DeadLetters", removal_policy=removal_policy, of="the contact-record stream's event source mapping"
        )

    def _dead_letters_alarm(self, name_prefix: str) -> cloudwatch.Alarm:
        """Any batch in the dead-letter queue."""
        return cloudwatch.Alarm(
            self,
            "DeadLettered",
            alarm_name=f"{name_prefix}-contact-records-dead-lettered",
            alarm_description="A batch of contact records failed every retry: the call log misses them until they "
            "are replayed from the stream. Runbook: docs/runbook.md, 'Contact records dead-lettered'.",
            metric=self.dead_letters.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(1), statistic="Maximum"
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

    def _reconciler(
        self,
        *,
        instance_arn: str,
        call_log: dynamodb.TableV2,
        tolerance_contacts: int,
        tolerance_percent: float,
        base: _Base,
    ) -> TrunklineFunction:
        name_prefix = base.name_prefix
        reconciler = TrunklineFunction(
            self,
            "Reconcile",
            spec=FunctionSpec(
                handler="reconcile.handler.lambda_handler",
                service=RECONCILE_SERVICE,
                description="Hourly: our abandoned/handled counts per queue against Connect's GetMetricDataV2",
                function_name=f"{name_prefix}-reconcile",
                timeout_seconds=300,
                memory_mb=1024,
                environment={
                    "CALL_LOG_TABLE_NAME": call_log.table_name,
                    "CONNECT_INSTANCE_ARN": instance_arn,
                    "RECONCILE_TOLERANCE_CONTACTS": str(tolerance_contacts),
                    "RECONCILE_TOLERANCE_PERCENT": str(tolerance_percent),
                },
            ),
            code=base.code,
            log_retention_days=base.log_retention_days,
            removal_policy=base.removal_policy,
        )
        cast(lambda_.CfnFunction, reconciler.function.node.default_child).reserved_concurrent_executions = 1
        reconciler.alias.configure_async_invoke(max_event_age=Duration.hours(1), retry_attempts=1)
        call_log.grant_read_data(reconciler.function)
        reconciler.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["connect:GetMetricDataV2"],
                resources=[instance_arn, f"{instance_arn}/queue/*"],
            )
        )
        Validations.of(reconciler.role).acknowledge(
            Acknowledgment(
                id=f"AwsSolutions::AwsSolutions-IAM5[Resource::{instance_arn}/queue/*]",
                reason="GetMetricDataV2 is authorized on the instance and the queues it reads; the queue set follows "
                "the config and the call log, so it is scoped to this instance's queues, not listed.",
            )
        )
        self.schedule = events.Rule(
            self,
            "Schedule",
            description="Reconcile our outcome counts with Connect's historical metrics, once an hour",
            schedule=events.Schedule.cron(minute="15"),
            targets=[targets.LambdaFunction(reconciler.alias, retry_attempts=1, max_event_age=Duration.hours(1))],
        )
        return reconciler

    def dashboard_widgets(self) -> list[cloudwatch.IWidget]:
        """Our figures beside Connect's, per hour, and the drift (for the region's dashboard)."""
        widgets: list[cloudwatch.IWidget] = [
            cloudwatch.TextWidget(markdown="### Outcomes against Connect's own metrics (hourly)", width=24, height=1)
        ]
        for name in DRIFT_METRICS:
            widgets.append(
                cloudwatch.GraphWidget(
                    title=f"{name}: ours vs Connect (GetMetricDataV2)",
                    width=8,
                    left=[
                        _metric(f"Reconcile{name}Ours", RECONCILE_SERVICE).with_(label="ours (call log)"),
                        _metric(f"Reconcile{name}Connect", RECONCILE_SERVICE).with_(label="Connect"),
                    ],
                )
            )
        widgets.append(
            cloudwatch.GraphWidget(
                title="Drift: |ours - Connect| summed over queues, and queues beyond tolerance",
                width=8,
                left=[_metric(f"Reconcile{name}Drift", RECONCILE_SERVICE) for name in DRIFT_METRICS],
                right=[_metric("ReconcileQueuesDrifting", RECONCILE_SERVICE, statistic="Maximum")],
                left_annotations=[],
            )
        )
        return widgets
