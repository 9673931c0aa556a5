"""Contact outcomes: Amazon Connect contact events (EventBridge, default bus) → the ``outcomes`` function → a call
log per region, with a dead-letter queue and its alarm (``docs/design/observability.md``)."""

from __future__ import annotations

from typing import cast

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks.constructs.data import trunkline_table
from stacks.constructs.dead_letters import dead_letter_queue
from stacks.constructs.lambda_defaults import FunctionSpec, TrunklineFunction
from stacks.constructs.observability.helpers import AT_LEAST, alarm
from stacks.constructs.observability.names import OUTCOMES_SERVICE

CALL_LOG_TTL_DAYS = 90
# Connect sends one event per contact state change; CONTACT_DATA_UPDATED (attribute and tag updates) changes no
# slot of the call log and can outnumber every other type, so the rule drops it before it costs an invocation.
IGNORED_EVENT_TYPES = ("CONTACT_DATA_UPDATED",)
RETRY_ATTEMPTS = 2
MAX_EVENT_AGE = Duration.hours(1)
# A cap, so a burst of contact events can never take the account's Lambda concurrency from the route function
# (the call path). 20 concurrent at ~20-40 ms per event is ~500+ events/s; a 25,000-agent centre at 15 contacts/s
# sends ~90. Throttled async events wait in Lambda's queue and retry within MAX_EVENT_AGE; nothing is lost.
RESERVED_CONCURRENCY = 20


class Outcomes(Construct):
    """One per region with a Connect instance: each region logs the contacts of its own instance."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        instance_arn: str,
        callback_table: dynamodb.ITableV2,
        function_name: str,
        production: bool,
        code: lambda_.Code,
        log_retention_days: int,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = self._function(
            callback_table=callback_table,
            function_name=function_name,
            production=production,
            code=code,
            log_retention_days=log_retention_days,
            removal_policy=removal_policy,
        )
        self.dead_letters = self._dead_letter_queue(removal_policy)
        self.function.alias.configure_async_invoke(
            retry_attempts=RETRY_ATTEMPTS,
            max_event_age=MAX_EVENT_AGE,
            on_failure=destinations.SqsDestination(self.dead_letters),
        )
        self.rule = self._contact_events(instance_arn)
        self.dead_letters_alarm = alarm(
            self,
            "DeadLettered",
            name=f"{function_name}-dead-lettered",
            description="Contact events reached the outcomes dead-letter queue: the call log and outcome "
            "metrics miss them until they are replayed.",
            runbook="Outcome events dead-lettered",
            metric=self.dead_letters.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(1), statistic="Maximum"
            ),
            threshold=1,
            comparison=AT_LEAST,
        )

    def _function(
        self,
        *,
        callback_table: dynamodb.ITableV2,
        function_name: str,
        production: bool,
        code: lambda_.Code,
        log_retention_days: int,
        removal_policy: RemovalPolicy,
    ) -> TrunklineFunction:
        """The outcomes function, capped in concurrency, with its call log and the callback table."""
        self.table = trunkline_table(
            self,
            "CallLog",
            production=production,
            removal_policy=removal_policy,
            partition_key="contact_id",
        )
        function = TrunklineFunction(
            self,
            "Function",
            spec=FunctionSpec(
                handler="outcomes.handler.lambda_handler",
                service=OUTCOMES_SERVICE,
                description="Applies Amazon Connect contact events to the call log; emits outcome metrics once per "
                "contact",
                function_name=function_name,
                timeout_seconds=30,
                memory_mb=512,
                environment={
                    "CALL_LOG_TABLE_NAME": self.table.table_name,
                    "CALLBACK_TABLE_NAME": callback_table.table_name,
                    "CALL_LOG_TTL_DAYS": str(CALL_LOG_TTL_DAYS),
                },
            ),
            code=code,
            log_retention_days=log_retention_days,
            removal_policy=removal_policy,
        )
        cast(
            lambda_.CfnFunction, function.function.node.default_child
        ).reserved_concurrent_executions = RESERVED_CONCURRENCY
        self.table.grant_read_write_data(function.function)
        # A CALLBACK contact's ending releases the callback's de-duplication lock (a conditional delete).
        callback_table.grant_read_write_data(function.function)
        return function

    def _dead_letter_queue(self, removal_policy: RemovalPolicy) -> sqs.Queue:
        # Both failure paths end in one queue: EventBridge could not invoke the alias (target DLQ), or the function
        # failed every attempt (the alias' on-failure destination). A DynamoDB error raises so the event lands here.
        return dead_letter_queue(
            self,
            "DeadLetters",
            removal_policy=removal_policy,
            of="the contact-event rule's target and of the outcomes function's async invocations",
        )

    def _contact_events(self, instance_arn: str) -> events.Rule:
        """This instance's contact events to the function's alias; undeliverable ones to the dead-letter queue."""
        return events.Rule(
            self,
            "ContactEvents",
            description="Amazon Connect contact events of this region's instance, to the call log",
            event_pattern=events.EventPattern(
                source=["aws.connect"],
                detail_type=["Amazon Connect Contact Event"],
                detail={
                    "instanceArn": [instance_arn],
                    "eventType": events.Match.anything_but(*IGNORED_EVENT_TYPES),
                },
            ),
            targets=[
                targets.LambdaFunction(
                    self.function.alias,
                    retry_attempts=RETRY_ATTEMPTS,
                    max_event_age=MAX_EVENT_AGE,
                    dead_letter_queue=self.dead_letters,
                )
            ],
        )
