"""Deploy-time publish of ``config/``: a custom resource that runs the same publish code as the CLI
(``routing.config.publishing.publish_from_deploy``: a three-way merge that keeps operations' run-time changes)."""

from __future__ import annotations

from aws_cdk import Acknowledgment, CustomResource, RemovalPolicy, Stack, Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import custom_resources as cr
from constructs import Construct

from stacks.constructs.lambda_defaults import FunctionSpec, TrunklineFunction, log_retention


class ConfigPublish(Construct):
    """Publishes the baked config on every deploy whose config content changed; Delete never deletes config.

    The publisher reads the document baked into its own package; ``content_hash`` (a property of the custom
    resource) makes CloudFormation call it again exactly when the config changes, and the handler refuses to
    publish a package whose baked document does not have that hash.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        table: dynamodb.ITableV2,
        code: lambda_.Code,
        content_hash: str,
        deployment: str,
        retention_days: int,
        log_retention_days: int,
        removal_policy: RemovalPolicy,
        name_prefix: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = TrunklineFunction(
            self,
            "Publisher",
            spec=FunctionSpec(
                handler="config_publisher.handler.lambda_handler",
                service="trunkline-config-publisher",
                description="Publishes the deployed config/ as a new version (keeps operations' changes)",
                timeout_seconds=120,
                memory_mb=1024,
                environment={"CONFIG_TABLE_NAME": table.table_name},
                errors_alarm_name=f"{name_prefix}-config-publisher-errors" if name_prefix else None,
                invoked_as="function",  # the Provider below invokes the function's own ARN, not the alias
            ),
            code=code,
            log_retention_days=log_retention_days,
            removal_policy=removal_policy,
        )
        table.grant_read_write_data(self.function.function)
        # The framework's own function logs to a group with our retention, not to a never-expiring default one.
        self.provider_logs = logs.LogGroup(
            self, "ProviderLogs", retention=log_retention(log_retention_days), removal_policy=removal_policy
        )
        provider = cr.Provider(self, "Provider", on_event_handler=self.function.function, log_group=self.provider_logs)
        fn_logical_id = Stack.of(self).get_logical_id(self.function.function.node.default_child)  # type: ignore[arg-type]
        Validations.of(provider).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AWSLambdaBasicExecutionRole]",
                reason="The CDK Provider framework's own function logs with the AWS-managed basic execution role; "
                "it runs only during deployments.",
            ),
            Acknowledgment(
                id=f"AwsSolutions::AwsSolutions-IAM5[Resource::<{fn_logical_id}.Arn>:*]",
                reason="The Provider framework may invoke any version of our publisher function (ARN:*), nothing else.",
            ),
        )
        self.resource = CustomResource(
            self,
            "Publish",
            service_token=provider.service_token,
            resource_type="Custom::TrunklineConfigPublish",
            properties={"ContentHash": content_hash, "Deployment": deployment, "RetentionDays": retention_days},
        )
