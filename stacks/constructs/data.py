"""DynamoDB tables: one helper holds the house table settings; the config table is a global table with the DR
replica, protected in production."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct


def trunkline_table(
    scope: Construct,
    construct_id: str,
    *,
    production: bool,
    removal_policy: RemovalPolicy,
    partition_key: str = "pk",
    sort_key: bool = False,
    replica_regions: tuple[str, ...] = (),
    table_name: str | None = None,
) -> dynamodb.TableV2:
    """``partition_key`` (default ``pk``) (+ ``sk``) strings, on demand, AWS-managed encryption, PITR, TTL
    ``expires_at``, deletion protection in production: every Trunkline table. ``table_name`` only where another
    stack must find the table by name."""
    return dynamodb.TableV2(
        scope,
        construct_id,
        table_name=table_name,
        partition_key=dynamodb.Attribute(name=partition_key, type=dynamodb.AttributeType.STRING),
        sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING) if sort_key else None,
        billing=dynamodb.Billing.on_demand(),
        encryption=dynamodb.TableEncryptionV2.aws_managed_key(),
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        time_to_live_attribute="expires_at",
        deletion_protection=production,
        removal_policy=removal_policy,
        replicas=[dynamodb.ReplicaTableProps(region=r) for r in replica_regions],
    )


class ConfigTable(Construct):
    """Versions, the active pointer, audit and the deploy base (``docs/design/routing-core.md``).

    Owned by the active region's stack; ``replica_regions`` become global-table replicas, which the other
    regions' stacks reference by ``table_name`` (a generated name would not be known to them).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        table_name: str,
        production: bool,
        replica_regions: tuple[str, ...] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self.table = trunkline_table(
            self,
            "Table",
            production=production,
            removal_policy=RemovalPolicy.RETAIN if production else RemovalPolicy.DESTROY,
            sort_key=True,
            replica_regions=replica_regions,
            table_name=table_name,
        )
