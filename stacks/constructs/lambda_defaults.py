"""The one place Lambda settings live: runtime, architecture, memory, timeout, JSON logs with retention,
Powertools environment, tracing, and a ``live`` alias on the current version (flows and schedules call the alias)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, TimeZone, Validations
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.constructs.bundling import RUNTIME
from stacks.constructs.observability.helpers import AT_LEAST, alarm
from stacks.constructs.observability.names import NAMESPACE
from stacks.settings import WarmStart

ARCHITECTURE = lambda_.Architecture.ARM_64


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """What differs between functions; everything else is the shared default."""

    handler: str
    service: str
    description: str
    # Physical name, identical in the active and DR regions (Connect Global Resiliency expects the same function
    # names in both); None lets CloudFormation generate one.
    function_name: str | None = None
    # Shift traffic to a new version gradually (CodeDeploy) and roll back on the function's error alarm.
    gradual_deploy: bool = False
    timeout_seconds: int = 3
    memory_mb: int = 1024
    environment: Mapping[str, str] = field(default_factory=dict)
    # X-Ray costs ~265 ms of cold-start imports (Powertools Tracer, ../shared/reference/toolchain.md) and a segment
    # per call: off unless a function's budget has room for it. The route path keeps it off.
    tracing: bool = False
    log_level: str = "INFO"
    # The errors alarm's name; default ``<function_name>-errors`` for a named function, else generated.
    errors_alarm_name: str | None = None
    # What callers invoke, so what the errors alarm watches: the ``live`` alias (flows, schedules, event sources)
    # or the unqualified function (the custom-resource Provider framework calls the function's own ARN, and the
    # alias' Errors metric would never see those calls).
    invoked_as: Literal["alias", "function"] = "alias"
    # Call-path functions keep cold starts away from callers (SnapStart or provisioned concurrency); the rest
    # run on demand.
    warm_start: WarmStart = field(default_factory=lambda: WarmStart(mode="none"))


class TrunklineFunction(Construct):
    """A Lambda function with the house defaults and a ``live`` alias."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: FunctionSpec,
        code: lambda_.Code,
        log_retention_days: int,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=log_retention(log_retention_days),
            removal_policy=removal_policy,
        )
        # Our own role: log writes to this function's log group only, instead of the AWS-managed
        # AWSLambdaBasicExecutionRole (which allows every log group in the account).
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{spec.service}: logs to its own log group; data grants are added by the stack",
        )
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=spec.function_name,
            role=self.role,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=spec.handler,
            code=code,
            description=spec.description,
            memory_size=spec.memory_mb,
            timeout=Duration.seconds(spec.timeout_seconds),
            logging_format=lambda_.LoggingFormat.JSON,
            log_group=self.log_group,
            tracing=lambda_.Tracing.ACTIVE if spec.tracing else lambda_.Tracing.DISABLED,
            environment={
                "POWERTOOLS_SERVICE_NAME": spec.service,
                "POWERTOOLS_METRICS_NAMESPACE": NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": spec.log_level,
                "TRUNKLINE_WARM_START": spec.warm_start.mode,
                **spec.environment,
            },
            # SnapStart snapshots the initialized environment of each published version (the one behind `live`);
            # the handler's init does the heavy work so a restored environment decides from memory.
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if spec.warm_start.mode == "snapstart" else None,
        )
        self.alias = self._live_alias(spec.warm_start)
        self.errors_alarm = self._errors_alarm(spec)
        self.deployment_group = self._gradual_deploy() if spec.gradual_deploy else None

    def _errors_alarm(self, spec: FunctionSpec) -> cloudwatch.Alarm:
        # Errors of what callers invoke (the live alias, unless ``invoked_as``): the rollback trigger of gradual
        # deploys (and an alarm in its own right).
        invoked: lambda_.IFunction = self.alias if spec.invoked_as == "alias" else self.function
        return alarm(
            self,
            "Errors",
            name=spec.errors_alarm_name or (f"{spec.function_name}-errors" if spec.function_name else None),
            description=f"{spec.service}: the {'live alias' if spec.invoked_as == 'alias' else 'function'} "
            "returned errors (a bad build rolls back on this).",
            runbook="Function errors",
            metric=invoked.metric_errors(period=Duration.minutes(1), statistic="Sum"),
            threshold=1,
            comparison=AT_LEAST,
        )

    def _gradual_deploy(self) -> codedeploy.LambdaDeploymentGroup:
        """Shift ``live`` to a new version 10 % first for 5 minutes; roll back on the errors alarm."""
        group = codedeploy.LambdaDeploymentGroup(
            self,
            "Deployment",
            alias=self.alias,
            deployment_config=codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_5_MINUTES,
            alarms=[self.errors_alarm],
            auto_rollback=codedeploy.AutoRollbackConfig(
                failed_deployment=True, stopped_deployment=True, deployment_in_alarm=True
            ),
        )
        Validations.of(group).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AWSCodeDeployRoleForLambdaLimited]",
                reason="CodeDeploy's service role for Lambda traffic shifting: AWS's least-privilege managed "
                "policy for exactly this (update the alias, invoke hooks), maintained with the service.",
            )
        )
        return group

    def _live_alias(self, warm: WarmStart) -> lambda_.Alias:
        """The ``live`` alias; with provisioned concurrency, kept warm all the time or in business hours only."""
        hours = warm.business_hours
        provisioned = None
        if warm.mode == "provisioned":
            provisioned = hours.off_hours_count if hours is not None else warm.count
        alias = lambda_.Alias(
            self,
            "Live",
            alias_name="live",
            version=self.function.current_version,
            provisioned_concurrent_executions=provisioned,
        )
        if warm.mode == "provisioned" and hours is not None:
            # Min and max both move, so the capacity really changes at each boundary (a min alone would leave
            # the environments of the day running all night).
            scaling = alias.add_auto_scaling(min_capacity=hours.off_hours_count, max_capacity=warm.count)
            zone = TimeZone.of(hours.time_zone)
            for name, at, capacity in (
                ("BusinessHoursStart", hours.start, warm.count),
                ("BusinessHoursEnd", hours.end, hours.off_hours_count),
            ):
                hour, minute = at.split(":")
                scaling.scale_on_schedule(
                    name,
                    schedule=appscaling.Schedule.cron(
                        minute=str(int(minute)), hour=str(int(hour)), week_day=hours.days
                    ),
                    min_capacity=capacity,
                    max_capacity=capacity,
                    time_zone=zone,
                )
        return alias


RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


def log_retention(days: int) -> logs.RetentionDays:
    """The CloudWatch Logs retention for ``days`` (one of the periods CloudWatch accepts)."""
    if days not in RETENTION:
        raise ValueError(f"log retention of {days} days is not one of {sorted(RETENTION)}")
    return RETENTION[days]
