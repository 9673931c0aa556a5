"""One region of an environment: config table (owned by the active region, replicated to DR), the route
function, the deploy-time config publish, and — when the region has a Connect instance — live metrics, contact
outcomes, permissions, associations and the contact flows; last, observability (alarm topic, alarms, dashboard,
saved queries) over all of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Environment, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from stacks.constructs.admin import AdminApi, AdminProps, cognito_domain_url
from stacks.constructs.admin_portal import PortalHosting, deploy_portal
from stacks.constructs.bundling import bake_config, lambda_code
from stacks.constructs.callback import Callback
from stacks.constructs.config_publish import ConfigPublish
from stacks.constructs.connect import ContactFlows, allow_connect
from stacks.constructs.connect_tests import ConnectTestCases
from stacks.constructs.contact_records import ContactRecords
from stacks.constructs.data import ConfigTable
from stacks.constructs.lambda_defaults import FunctionSpec, TrunklineFunction
from stacks.constructs.live_metrics import LiveMetrics
from stacks.constructs.observability import (
    ConnectSignals,
    Observability,
    QueryLogGroups,
    line_of_business_keys,
    queue_slas,
)
from stacks.constructs.observability.names import ROUTE_SERVICE
from stacks.constructs.outcomes import Outcomes
from stacks.settings import EnvironmentSettings, RegionSettings

ROOT = Path(__file__).resolve().parents[1]
CONFIG_TABLE_NAME_PREFIX = "trunkline-config"


def config_table_name(env: EnvironmentSettings) -> str:
    """The global table's name: fixed per environment so the DR stack can reference the replica by name."""
    return f"{CONFIG_TABLE_NAME_PREFIX}-{env.name}"


class RegionalStack(Stack):
    """Everything Trunkline runs in one region."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: EnvironmentSettings,
        region: RegionSettings,
        config_dir: Path = ROOT / "config",
        flow_dir: Path = ROOT / "contact_flows",
        tests_dir: Path = ROOT / "connect_tests",
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, env=Environment(account=settings.account, region=region.region), **kwargs)
        self.settings = settings
        self.baked_config = bake_config(config_dir)  # validates config/: synth fails listing every config error
        # One package for every function of this stack (a Code binds to one stack); its hash covers the source,
        # the requirements and the baked config, so a config change is a new version of every function.
        code = lambda_code(self.baked_config)
        table = self._config_table(settings, region)
        self.route = self._route(settings, region, code)
        table.grant_read_data(self.route.function)
        self.callback = self._callback(settings, table, code)
        self.config_publish: ConfigPublish | None = None
        if region.role == "active":
            # Publish once per environment, in the active region; global tables carry it to the DR replica.
            self.config_publish = self._config_publish(settings, table, code)
        self.admin: AdminApi | None = None
        self.portal: PortalHosting | None = None
        if settings.admin is not None and region.role == "active":
            # Active region only: publishes must be serialized on one writer of the global table.
            self.admin, self.portal = self._admin(settings, table, code)

        self.flow_tokens: dict[str, Any] = {}
        self.flows: ContactFlows | None = None
        self.associations: list[Any] = []
        self.test_cases: ConnectTestCases | None = None
        self.live_metrics: LiveMetrics | None = None
        self.outcomes: Outcomes | None = None
        self.contact_records: ContactRecords | None = None
        if region.has_connect:
            self._connect_features(settings, region, table, code)
            self._connect_wiring(settings, region, flow_dir, tests_dir)

        # Last: it wires every alarm created above to its topic.
        self.observability = self._observability(settings, region, table.table_name, flow_dir)
        if self.contact_records is not None:
            self.observability.dashboard.add_widgets(*self.contact_records.dashboard_widgets())

    def _config_table(self, settings: EnvironmentSettings, region: RegionSettings) -> dynamodb.ITableV2:
        """The global config table in the active region; its replica, by name, in the DR region."""
        if region.role != "active":
            return dynamodb.TableV2.from_table_name(self, "Config", config_table_name(settings))
        replicas = tuple(r.region for r in settings.regions if r.role != "active")
        self.config = ConfigTable(
            self,
            "Config",
            table_name=config_table_name(settings),
            production=settings.production,
            replica_regions=replicas,
        )
        return self.config.table

    def _route(self, settings: EnvironmentSettings, region: RegionSettings, code: lambda_.Code) -> TrunklineFunction:
        """The per-call routing function (the flows' first invoke)."""
        return TrunklineFunction(
            self,
            "Route",
            spec=FunctionSpec(
                handler="route.handler.lambda_handler",
                service=ROUTE_SERVICE,
                function_name=f"trunkline-{settings.name}-route",
                gradual_deploy=settings.gradual_deploy,
                description="Per-call routing decision for Amazon Connect flows",
                timeout_seconds=settings.route_timeout_seconds,
                memory_mb=settings.route_memory_mb,
                warm_start=settings.warm_start["route"],
                environment={
                    "CONFIG_TABLE_NAME": config_table_name(settings),
                    "CONFIG_REFRESH_SECONDS": str(settings.config_refresh_seconds),
                    "STORE_BUDGET_MS": str(settings.store_budget_ms),
                    "DEFAULT_QUEUE_ID": settings.default_queue_id,
                    **({"CONNECT_INSTANCE_ARN": region.connect_instance_arn} if region.has_connect else {}),
                },
            ),
            code=code,
            log_retention_days=settings.log_retention_days,
            removal_policy=settings.removal_policy,
        )

    def _callback(self, settings: EnvironmentSettings, table: dynamodb.ITableV2, code: lambda_.Code) -> Callback:
        """The callback function and its own table (the flows call it, like route)."""
        return Callback(
            self,
            "Callback",
            config_table=table,
            config_table_name=config_table_name(settings),
            function_name=f"trunkline-{settings.name}-callback",
            production=settings.production,
            gradual_deploy=settings.gradual_deploy,
            timeout_seconds=settings.route_timeout_seconds,
            store_budget_ms=settings.store_budget_ms,
            warm_start=settings.warm_start["callback"],
            code=code,
            log_retention_days=settings.log_retention_days,
            removal_policy=settings.removal_policy,
        )

    def _config_publish(
        self, settings: EnvironmentSettings, table: dynamodb.ITableV2, code: lambda_.Code
    ) -> ConfigPublish:
        return ConfigPublish(
            self,
            "ConfigPublish",
            table=table,
            code=code,
            content_hash=self.baked_config.content_hash,
            deployment=f"{settings.name}-{self.baked_config.content_hash[:12]}",
            retention_days=settings.config_retention_days,
            log_retention_days=settings.log_retention_days,
            removal_policy=settings.removal_policy,
            name_prefix=f"trunkline-{settings.name}",
        )

    def _connect_features(
        self, settings: EnvironmentSettings, region: RegionSettings, table: dynamodb.ITableV2, code: lambda_.Code
    ) -> None:
        """Live metrics and contact outcomes: what a region with a Connect instance runs besides the call path."""
        self.live_metrics = LiveMetrics(
            self,
            "LiveMetrics",
            instance_arn=region.connect_instance_arn,
            config_table=table,
            config_table_name=config_table_name(settings),
            route=self.route,
            production=settings.production,
            code=code,
            log_retention_days=settings.log_retention_days,
            removal_policy=settings.removal_policy,
            name_prefix=f"trunkline-{settings.name}",
        )
        self.outcomes = Outcomes(
            self,
            "Outcomes",
            instance_arn=region.connect_instance_arn,
            callback_table=self.callback.table,
            function_name=f"trunkline-{settings.name}-outcomes",
            production=settings.production,
            code=code,
            log_retention_days=settings.log_retention_days,
            removal_policy=settings.removal_policy,
        )
        # The instance's contact records into the same call log (records are the authority once present).
        self.contact_records = ContactRecords(
            self,
            "ContactRecords",
            instance_arn=region.connect_instance_arn,
            call_log=self.outcomes.table,
            callback_table=self.callback.table,
            name_prefix=f"trunkline-{settings.name}",
            code=code,
            log_retention_days=settings.log_retention_days,
            removal_policy=settings.removal_policy,
        )

    def _connect_wiring(
        self, settings: EnvironmentSettings, region: RegionSettings, flow_dir: Path, tests_dir: Path
    ) -> None:
        """Connect's permission and association for each flow-called function; the flows and test cases where
        this region deploys them."""
        # Permission and association in every region with an instance: Connect Global Resiliency copies flows
        # to a replica but not Lambda associations, and the replica's flows call this region's functions.
        self.associations = [
            allow_connect(
                self,
                "RouteConnectAssociation",
                alias=self.route.alias,
                instance_arn=region.connect_instance_arn,
                account=region.instance_account,
            ),
            allow_connect(
                self,
                "CallbackConnectAssociation",
                alias=self.callback.function.alias,
                instance_arn=region.connect_instance_arn,
                account=region.instance_account,
            ),
        ]
        if not settings.deploys_flows(region):
            return
        prefix = f"trunkline-{settings.name}"
        self.flows = self._flows(settings, region, flow_dir, prefix)
        if settings.connect_test_cases:
            # Where the flows are deployed; a Global Resiliency replica receives the cases with the flows.
            self.test_cases = ConnectTestCases(
                self,
                "TestCases",
                instance_arn=region.connect_instance_arn,
                directory=tests_dir,
                flows=self.flows.flows,
                tokens={k: v for k, v in self.flow_tokens.items() if k.endswith("FunctionArn")},
                literals={"InstanceArn": region.connect_instance_arn, "DefaultQueueId": settings.default_queue_id},
                name_prefix=prefix,
            )

    def _flows(
        self, settings: EnvironmentSettings, region: RegionSettings, flow_dir: Path, prefix: str
    ) -> ContactFlows:
        # The tokens flows may use (docs/deployment.md); ContactFlows fails synth on an unknown or unused one.
        self.flow_tokens = {
            "RouteFunctionArn": self.route.alias.function_arn,
            "CallbackFunctionArn": self.callback.function.alias.function_arn,
            "DefaultQueueArn": f"{region.connect_instance_arn}/queue/{settings.default_queue_id}",
        }
        flows = ContactFlows(
            self,
            "Flows",
            instance_arn=region.connect_instance_arn,
            flow_dir=flow_dir,
            tokens=self.flow_tokens,
            name_prefix=prefix,
            invoke_timeout_seconds=settings.route_timeout_seconds,
        )
        # Connect validates a flow when it is published, including that every function it invokes is associated
        # with the instance: CloudFormation must create the associations first (nothing else orders them).
        for association in self.associations:
            flows.node.add_dependency(association)
        return flows

    def _admin(
        self, settings: EnvironmentSettings, table: dynamodb.ITableV2, code: Any
    ) -> tuple[AdminApi, PortalHosting]:
        """The admin API, its sign-on and the portal (docs/design/admin.md)."""
        admin = settings.admin
        assert admin is not None
        hosted_ui = cognito_domain_url(admin.domain_prefix, self.region)
        portal = PortalHosting(
            self,
            "Portal",
            settings=admin,
            hosted_ui=hosted_ui,
            removal_policy=settings.removal_policy,
            log_retention_days=settings.log_retention_days,
        )
        api = AdminApi(
            self,
            "Admin",
            props=AdminProps(
                settings=admin,
                env_name=settings.name,
                config_table=table,
                config_table_name=config_table_name(settings),
                default_queue_id=settings.default_queue_id,
                portal_origin=portal.origin,
                lines_of_business=line_of_business_keys(self.baked_config.document),
                regions=[r.region for r in settings.regions],
                code=code,
                log_retention_days=settings.log_retention_days,
                removal_policy=settings.removal_policy,
                production=settings.production,
            ),
        )
        portal.allow_api(api.api_origin)
        config = {
            "api_url": api.api.url,
            "hosted_ui": hosted_ui,
            "client_id": api.client.user_pool_client_id,
            "redirect_uri": f"{portal.origin}/",
        }
        deploy_portal(self, portal, config=config)
        return api, portal

    def _observability(
        self, settings: EnvironmentSettings, region: RegionSettings, config_table: str, flow_dir: Path
    ) -> Observability:
        functions = {"route": self.route, "callback": self.callback.function}
        tables = {"config": config_table, "callback": self.callback.table.table_name}
        connect: ConnectSignals | None = None
        if self.live_metrics is not None:
            functions["metrics-poller"] = self.live_metrics.poller
            tables["live-metrics"] = self.live_metrics.table.table_name
        if self.outcomes is not None:
            functions["outcomes"] = self.outcomes.function
            tables["call-log"] = self.outcomes.table.table_name
        if self.contact_records is not None:
            functions["contact-records"] = self.contact_records.consumer
            functions["reconcile"] = self.contact_records.reconciler
        if self.config_publish is not None:
            functions["config-publisher"] = self.config_publish.function
        if self.admin is not None:
            functions["admin"] = self.admin.function
        if region.has_connect:
            # A replica runs the primary's flows under the same names: alarm on them without deploying them.
            prefix = f"trunkline-{settings.name}"
            connect = ConnectSignals(
                instance_id=region.instance_id,
                flows={p.stem: f"{prefix}-{p.stem}" for p in sorted(flow_dir.glob("*.json"))},
                queues=queue_slas(self.baked_config.document),
            )
        return Observability(
            self,
            "Observability",
            env_name=settings.name,
            alarm_emails=settings.alarm_emails,
            route=self.route,
            functions=functions,
            tables=tables,
            log_groups=QueryLogGroups(
                route=self.route.log_group,
                callback=self.callback.function.log_group,
                outcomes=self.outcomes.function.log_group if self.outcomes is not None else None,
            ),
            lines_of_business=line_of_business_keys(self.baked_config.document),
            connect=connect,
            removal_policy=settings.removal_policy,
        )
