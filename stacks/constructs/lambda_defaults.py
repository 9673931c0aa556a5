"""The one place Lambda settings live: runtime, architecture, memory, timeout, JSON logs with retention,
Powertools environment, and a ``live`` alias on the current version (flows and schedules call the alias)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.constructs.bundling import lambda_code

RUNTIME = lambda_.Runtime.PYTHON_3_14  # newest Lambda Python runtime (cdk-nag L1); AL2023, glibc 2.34
ARCHITECTURE = lambda_.Architecture.ARM_64


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """What differs between functions; everything else is the shared default."""

    handler: str
    service: str
    description: str
    timeout_seconds: int = 3
    memory_mb: int = 1024
    environment: Mapping[str, str] = field(default_factory=dict)


class TrunklineFunction(Construct):
    """A Lambda function with the house defaults and a ``live`` alias."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: FunctionSpec,
        log_retention_days: int,
        removal_policy: RemovalPolicy,
        code: lambda_.Code | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=_retention(log_retention_days),
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
            role=self.role,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=spec.handler,
            code=code or lambda_code(),
            description=spec.description,
            memory_size=spec.memory_mb,
            timeout=Duration.seconds(spec.timeout_seconds),
            logging_format=lambda_.LoggingFormat.JSON,
            log_group=self.log_group,
            environment={
                "POWERTOOLS_SERVICE_NAME": spec.service,
                "POWERTOOLS_METRICS_NAMESPACE": "Trunkline",
                "POWERTOOLS_LOG_LEVEL": "INFO",
                **spec.environment,
            },
        )
        self.alias = lambda_.Alias(self, "Live", alias_name="live", version=self.function.current_version)


_RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    731: logs.RetentionDays.TWO_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


def _retention(days: int) -> logs.RetentionDays:
    if days not in _RETENTION:
        raise ValueError(f"log retention of {days} days is not one of {sorted(_RETENTION)}")
    return _RETENTION[days]
