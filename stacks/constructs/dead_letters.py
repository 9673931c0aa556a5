"""One dead-letter queue shape for every asynchronous path (contact events, contact records): SQS-managed
encryption, TLS only, 14 days, and the cdk-nag acknowledgement that it is itself a dead-letter queue."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Validations
from aws_cdk import aws_sqs as sqs
from constructs import Construct


def dead_letter_queue(scope: Construct, construct_id: str, *, removal_policy: RemovalPolicy, of: str) -> sqs.Queue:
    """An encrypted, TLS-only queue kept 14 days; ``of`` names what it is the dead-letter destination of."""
    queue = sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=Duration.days(14),
        removal_policy=removal_policy,
    )
    Validations.of(queue).acknowledge(
        Acknowledgment(
            id="AwsSolutions::AwsSolutions-SQS3",
            reason=f"This queue is itself the dead-letter queue of {of} (cdk-nag only recognizes SQS redrive sources).",
        )
    )
    return queue
