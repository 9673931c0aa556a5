"""The config table: a DynamoDB global table (TableV2) with the DR replica, protected in production."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct


class ConfigTable(Construct):
    """Versions, the active pointer, audit and the deploy base (``docs/design/routing-core.md``)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, production: bool, replica_regions: tuple[str, ...] = ()
    ) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.TableV2(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            billing=dynamodb.Billing.on_demand(),
            encryption=dynamodb.TableEncryptionV2.aws_managed_key(),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute="expires_at",
            deletion_protection=production,
            removal_policy=RemovalPolicy.RETAIN if production else RemovalPolicy.DESTROY,
            replicas=[dynamodb.ReplicaTableProps(region=r) for r in replica_regions],
        )
