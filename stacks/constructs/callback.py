"""Queued callback: the callback table (TTL, PITR) and the ``callback`` function with least privilege."""

from __future__ import annotations

from aws_cdk import Acknowledgment, RemovalPolicy, SecretValue, Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from stacks.constructs.data import trunkline_table
from stacks.constructs.lambda_defaults import FunctionSpec, TrunklineFunction
from stacks.constructs.observability.names import CALLBACK_SERVICE
from stacks.settings import WarmStart


class Callback(Construct):
    """The callback function reads config and transacts on its own table, nothing else."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config_table: dynamodb.ITableV2,
        config_table_name: str,
        function_name: str,
        production: bool,
        gradual_deploy: bool,
        timeout_seconds: int,
        store_budget_ms: float,
        warm_start: WarmStart,
        code: lambda_.Code,
        log_retention_days: int,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.table = trunkline_table(self, "Table", production=production, removal_policy=removal_policy)
        self.number_key = self._number_key(removal_policy)
        self.function = TrunklineFunction(
            self,
            "Function",
            spec=FunctionSpec(
                handler="callback.handler.lambda_handler",
                service=CALLBACK_SERVICE,
                description="Accepts a queued-callback request: validates the number, de-duplicates atomically",
                function_name=function_name,
                gradual_deploy=gradual_deploy,
                timeout_seconds=timeout_seconds,
                memory_mb=1024,
                warm_start=warm_start,
                environment={
                    "CONFIG_TABLE_NAME": config_table_name,
                    "CALLBACK_TABLE_NAME": self.table.table_name,
                    # One deadline over every DynamoDB request of an invocation (the route's setting): out of time,
                    # the reply is ERROR and the flow keeps the caller in queue.
                    "STORE_BUDGET_MS": str(store_budget_ms),
                    "CALLBACK_NUMBER_KEY": SecretValue.secrets_manager(self.number_key.secret_arn).unsafe_unwrap(),
                },
            ),
            code=code,
            log_retention_days=log_retention_days,
            removal_policy=removal_policy,
        )
        config_table.grant_read_data(self.function.function)
        # Exactly what the transaction and the idempotency read need: no Scan, no BatchWrite.
        self.function.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
                resources=[self.table.table_arn],
            )
        )

    def _number_key(self, removal_policy: RemovalPolicy) -> secretsmanager.Secret:
        # The HMAC key the table's keys are derived from (docs/design/callback.md, "Hashed keys"). One per region,
        # like the table it protects (the callback table is regional, not global). Handed to the function as a
        # CloudFormation dynamic reference: resolved at deploy, no Secrets Manager call at init or per call. The
        # value is visible to whoever may read the function's configuration; that is the accepted trade-off.
        key = secretsmanager.Secret(
            self,
            "NumberKey",
            description="Trunkline callback: HMAC key for the phone numbers in the callback table's keys",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True, include_space=False
            ),
            removal_policy=removal_policy,
        )
        Validations.of(key).acknowledge(
            Acknowledgment(
                id="AwsSolutions-SMG4",
                reason="Not rotated automatically: a new key makes every held lock unrecognisable, so a rotation "
                "allows one duplicate callback per number within the de-dup window; rotate by hand in a quiet hour "
                "(docs/runbook.md).",
            )
        )
        return key
