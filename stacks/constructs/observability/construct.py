"""``Observability``: one per regional stack (the DR region gets its own): the alarm topic, the domain alarms, the
dashboard and the saved queries.

Create it last in the stack: it wires every ``cloudwatch.Alarm`` that exists in the stack at that point (a
feature's own alarms included) to the topic, and shows them on the dashboard's status strip.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from aws_cdk import ArnFormat, Duration, NestedStack, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from stacks.constructs.observability import sections as built_in
from stacks.constructs.observability.alarms import AlarmBook, connect_alarms, route_alarms, throttling_alarms
from stacks.constructs.observability.dashboard import DashboardSection, render
from stacks.constructs.observability.inputs import ConnectSignals, QueryLogGroups
from stacks.constructs.observability.queries import saved_queries

if TYPE_CHECKING:
    from stacks.constructs.lambda_defaults import TrunklineFunction


class Observability(Construct):
    """One per regional stack (the DR region gets its own topic, alarms and dashboard)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env_name: str,
        alarm_emails: Sequence[str],
        route: TrunklineFunction,
        functions: Mapping[str, TrunklineFunction],
        tables: Mapping[str, str],
        log_groups: QueryLogGroups,
        lines_of_business: Sequence[str],
        connect: ConnectSignals | None,
        removal_policy: RemovalPolicy,
        sections: Sequence[DashboardSection] = (),
    ) -> None:
        """``sections``: features' own dashboard rows, shown after the built-in ones (``dashboard`` module)."""
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.prefix = f"trunkline-{env_name}"
        self.topic = self._topic(stack, env_name, alarm_emails, removal_policy)

        book = AlarmBook(self, self.prefix)
        route_alarms(book, route)
        throttling_alarms(book, dict(tables))
        self.sla_stacks: list[NestedStack] = connect_alarms(book, connect) if connect is not None else []
        self.alarms = book.by_name

        action = cw_actions.SnsAction(self.topic)
        self.notified: list[cloudwatch.Alarm] = []
        for node in stack.node.find_all():
            if isinstance(node, cloudwatch.Alarm):
                node.add_alarm_action(action)
                node.add_ok_action(action)
                self.notified.append(node)

        self.dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=f"{self.prefix}-{stack.region}", default_interval=Duration.hours(3)
        )
        shown = [built_in.routing(functions), built_in.dynamodb(tables)]
        if connect is not None:
            shown.append(built_in.live_metrics())
        shown.append(built_in.callbacks())
        if connect is not None:
            shown += [built_in.outcomes(lines_of_business), built_in.amazon_connect(connect)]
        render(self.dashboard, self._status_alarms(), [*shown, *sections])
        self.queries = saved_queries(self, self.prefix, log_groups)

    def _topic(
        self, stack: Stack, env_name: str, alarm_emails: Sequence[str], removal_policy: RemovalPolicy
    ) -> sns.Topic:
        """The alarm topic: TLS only, encrypted with a key CloudWatch may use, with the e-mail subscriptions."""
        # CloudWatch cannot publish to a topic encrypted with the AWS-managed alias/aws/sns key (its key policy
        # cannot grant the CloudWatch service): a customer-managed key with rotation, usable by CloudWatch only
        # through SNS in this account.
        self.key = kms.Key(
            self,
            "TopicKey",
            description=f"{self.prefix}: encrypts the alarm topic; CloudWatch alarms may use it to publish",
            enable_key_rotation=True,
            removal_policy=removal_policy,
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )
        topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name=f"Trunkline {env_name} alarms ({stack.region})",
            master_key=self.key,
            enforce_ssl=True,
        )
        # The TLS-only topic policy replaces SNS's default one: allow this account's alarms to publish.
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": f"arn:{stack.partition}:cloudwatch:{stack.region}:{stack.account}:alarm:*"
                    },
                },
            )
        )
        for email in alarm_emails:
            topic.add_subscription(subscriptions.EmailSubscription(email))
        return topic

    def _status_alarms(self) -> list[cloudwatch.IAlarm]:
        """Every notified alarm; those of the nested SLA stacks by their ARN (built from the known name), so the
        dashboard needs no nested-stack output per alarm (a stack allows 200 outputs; a centre may have 600)."""
        stack = Stack.of(self)
        names = {alarm.node.path: name for name, alarm in self.alarms.items()}
        out: list[cloudwatch.IAlarm] = []
        for alarm in self.notified:
            if Stack.of(alarm) is stack or alarm.node.path not in names:
                out.append(alarm)
                continue
            arn = stack.format_arn(
                service="cloudwatch",
                resource="alarm",
                resource_name=f"{self.prefix}-{names[alarm.node.path]}",
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            )
            out.append(cloudwatch.Alarm.from_alarm_arn(self, f"Status-{names[alarm.node.path]}", arn))
        return out
