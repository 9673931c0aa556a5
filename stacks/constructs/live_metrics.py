"""Live queue metrics: the snapshot table, the scheduled poller, its least-privilege Connect access, the route
function's read access, and an alarm when snapshots stop arriving (``docs/design/metrics.md``)."""

from __future__ import annotations

from typing import cast

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Validations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from stacks.constructs.data import trunkline_table
from stacks.constructs.lambda_defaults import FunctionSpec, TrunklineFunction
from stacks.constructs.observability.helpers import AT_LEAST, LESS, alarm, service_metric
from stacks.constructs.observability.names import POLLER_SERVICE


class LiveMetrics(Construct):
    """One per region with a Connect instance: each region polls its own instance into its own table."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        instance_arn: str,
        config_table: dynamodb.ITableV2,
        config_table_name: str,
        route: TrunklineFunction,
        production: bool,
        code: lambda_.Code,
        log_retention_days: int,
        removal_policy: RemovalPolicy,
        name_prefix: str | None = None,
        requests_per_second: float = 2.0,
    ) -> None:
        super().__init__(scope, construct_id)
        self.table = trunkline_table(self, "Table", production=production, removal_policy=removal_policy)
        self.poller = TrunklineFunction(
            self,
            "Poller",
            spec=FunctionSpec(
                handler="metrics_poller.handler.lambda_handler",
                service=POLLER_SERVICE,
                description="Samples GetCurrentMetricData for every configured queue, writes snapshots",
                timeout_seconds=70,  # four samples 15 s apart inside a one-minute schedule, with margin
                memory_mb=512,
                environment={
                    "CONFIG_TABLE_NAME": config_table_name,
                    "METRICS_TABLE_NAME": self.table.table_name,
                    "CONNECT_INSTANCE_ARN": instance_arn,
                    "METRICS_REQUESTS_PER_SECOND": str(requests_per_second),
                },
                errors_alarm_name=f"{name_prefix}-metrics-poller-errors" if name_prefix else None,
            ),
            code=code,
            log_retention_days=log_retention_days,
            removal_policy=removal_policy,
        )
        # One invocation at a time: the request budget is per invocation, and an invocation can outlive the
        # one-minute schedule (timeout 70 s) exactly when Connect throttles. A schedule event that cannot start
        # within a minute is dropped, not queued (Lambda would otherwise retry throttled async events for 6 h).
        cast(lambda_.CfnFunction, self.poller.function.node.default_child).reserved_concurrent_executions = 1
        self.poller.alias.configure_async_invoke(max_event_age=Duration.seconds(60), retry_attempts=0)
        config_table.grant_read_data(self.poller.function)
        self.table.grant_write_data(self.poller.function)
        self._allow_current_metrics(instance_arn)
        self.schedule = events.Rule(
            self,
            "Schedule",
            description="Sample live queue metrics (the poller samples several times inside each minute)",
            schedule=events.Schedule.rate(Duration.minutes(1)),
            targets=[targets.LambdaFunction(self.poller.alias, retry_attempts=0, max_event_age=Duration.seconds(60))],
        )
        self.table.grant_read_data(route.function)
        route.function.add_environment("METRICS_TABLE_NAME", self.table.table_name)
        self.stale_alarm, self.pages_failing_alarm = self._alarms(name_prefix)

    def _alarms(self, name_prefix: str | None) -> tuple[cloudwatch.Alarm, cloudwatch.Alarm]:
        """Snapshots stopped arriving; one page of queues failing in every cycle."""
        stale = alarm(
            self,
            "SnapshotsStale",
            name=f"{name_prefix}-live-metrics-stale" if name_prefix else None,
            description="No live-metrics snapshots written for 3 minutes: metric-aware rules see 'unknown'.",
            runbook="Stale live metrics",
            metric=service_metric("MetricsSnapshotsWritten", POLLER_SERVICE),
            threshold=1,
            evaluation_periods=3,
            comparison=LESS,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        )
        # Partial staleness: other pages still write (so the alarm above stays quiet) while one page of up to 100
        # queues fails every cycle — e.g. a queue id the instance does not know — and its queues stay unknown.
        pages_failing = alarm(
            self,
            "PagesFailing",
            name=f"{name_prefix}-live-metrics-pages-failing" if name_prefix else None,
            description="A page of queues failed in every minute for 5 minutes: those queues' metrics are "
            "unknown (see the poller's 'metrics page failed' log lines).",
            runbook="Stale live metrics",
            metric=service_metric("MetricsPagesFailed", POLLER_SERVICE),
            threshold=1,
            evaluation_periods=5,
            comparison=AT_LEAST,
        )
        return stale, pages_failing

    def _allow_current_metrics(self, instance_arn: str) -> None:
        """GetCurrentMetricData on this instance and its queues, for the poller only."""
        self.poller.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["connect:GetCurrentMetricData"],
                resources=[instance_arn, f"{instance_arn}/queue/*"],
            )
        )
        Validations.of(self.poller.role).acknowledge(
            Acknowledgment(
                id=f"AwsSolutions::AwsSolutions-IAM5[Resource::{instance_arn}/queue/*]",
                reason="GetCurrentMetricData is authorized on the instance and the queues it reads; the queue set "
                "follows the active config version, so it is scoped to this instance's queues, not listed.",
            )
        )
