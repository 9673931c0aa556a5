"""CDK assertions on the regional stacks: properties, not snapshots."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from stacks.app_builder import build_app
from stacks.constructs.bundling import RUNTIME, bake_config
from tests.infra.conftest import ACTIVE, DEV_ARN, DR, ROOT, cdk_context, environment
from tests.infra.queries import TOKEN_LEFT, actions, alias_of, function, refs, role_statements

ROUTE = "route.handler.lambda_handler"
CALLBACK = "callback.handler.lambda_handler"
PUBLISHER = "config_publisher.handler.lambda_handler"
PROVIDER_FRAMEWORK = "framework.onEvent"  # the CDK custom-resource Provider's own Node.js function


def _resources(template: Template, kind: str) -> dict[str, dict[str, Any]]:
    return {k: dict(v) for k, v in template.find_resources(kind).items()}


@pytest.mark.parametrize("stack", [ACTIVE, DR])
def test_route_function_fits_the_flow_budget(dev_stacks: dict[str, Template], stack: str) -> None:
    _, fn = function(dev_stacks[stack], ROUTE)
    props = fn["Properties"]
    assert props["Timeout"] <= 3
    assert props["MemorySize"] == 1024
    assert props["Architectures"] == ["arm64"]
    assert props["Runtime"] == RUNTIME.name
    assert props["LoggingConfig"]["LogFormat"] == "JSON"
    assert props.get("TracingConfig", {}).get("Mode") != "Active"  # X-Ray's cold-start cost is not in the budget
    env = props["Environment"]["Variables"]
    assert env["CONFIG_TABLE_NAME"] == "trunkline-config-dev"
    assert env["CONFIG_REFRESH_SECONDS"] == "30"
    assert env["STORE_BUDGET_MS"] == "1000"  # one deadline for every store read of a call (routing.common.deadline)
    assert env["CONNECT_INSTANCE_ARN"] == DEV_ARN[stack]
    assert env["DEFAULT_QUEUE_ID"] == cdk_context()["environments"]["dev"]["default_queue_id"]
    assert env["POWERTOOLS_SERVICE_NAME"] == "trunkline-route"
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == "Trunkline"
    assert env["POWERTOOLS_LOG_LEVEL"] == "INFO"


@pytest.mark.parametrize("stack", [ACTIVE, DR])
def test_every_python_function_is_built_with_the_defaults(dev_stacks: dict[str, Template], stack: str) -> None:
    template = dev_stacks[stack]
    functions = {
        k: v
        for k, v in _resources(template, "AWS::Lambda::Function").items()
        if v["Properties"]["Handler"] != PROVIDER_FRAMEWORK
    }
    assert {f["Properties"]["Handler"] for f in functions.values()} >= {ROUTE, CALLBACK}
    for fn_id, fn in functions.items():
        props = fn["Properties"]
        assert (props["Runtime"], props["Architectures"]) == (RUNTIME.name, ["arm64"]), fn_id
        assert props["LoggingConfig"]["LogFormat"] == "JSON", fn_id
        assert props["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"] == "Trunkline", fn_id
        _, alias = alias_of(template, fn_id)
        assert alias["Properties"]["Name"] == "live"
        assert alias["Properties"]["FunctionVersion"]["Fn::GetAtt"][1] == "Version"


@pytest.mark.parametrize("stack", [ACTIVE, DR])
def test_every_function_logs_to_a_group_with_retention(dev_stacks: dict[str, Template], stack: str) -> None:
    # Including the custom-resource framework's function: a default /aws/lambda group would never expire.
    template = dev_stacks[stack]
    groups = _resources(template, "AWS::Logs::LogGroup")
    for fn_id, fn in _resources(template, "AWS::Lambda::Function").items():
        group = fn["Properties"].get("LoggingConfig", {}).get("LogGroup")
        assert group is not None, f"{fn_id} logs to a default log group"
        assert groups[group["Ref"]]["Properties"]["RetentionInDays"] == 14, fn_id
        assert groups[group["Ref"]]["DeletionPolicy"] == "Delete"  # dev; prod retains (below)


def test_production_log_groups_are_retained(prod_stacks: dict[str, Template]) -> None:
    for template in prod_stacks.values():
        groups = _resources(template, "AWS::Logs::LogGroup").values()
        assert groups
        assert {(g["Properties"]["RetentionInDays"], g["DeletionPolicy"]) for g in groups} == {(365, "Retain")}


@pytest.mark.parametrize("stack", [ACTIVE, DR])
def test_connect_permission_and_association_target_the_live_alias(dev_stacks: dict[str, Template], stack: str) -> None:
    template = dev_stacks[stack]
    flow_called = {alias_of(template, function(template, h)[0])[0] for h in (ROUTE, CALLBACK)}
    permissions = [
        p["Properties"]
        for p in _resources(template, "AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "connect.amazonaws.com"
    ]
    assert sorted(json.dumps(p["FunctionName"]) for p in permissions) == sorted(
        json.dumps({"Ref": a}) for a in flow_called
    )
    for permission in permissions:
        assert permission["Action"] == "lambda:InvokeFunction"
        assert permission["SourceArn"] == DEV_ARN[stack]
        assert permission["SourceAccount"] == "111122223333"
    associations = [a["Properties"] for a in _resources(template, "AWS::Connect::IntegrationAssociation").values()]
    # One association per flow-called function, each on its alias.
    assert sorted(json.dumps(a["IntegrationArn"]) for a in associations) == sorted(
        json.dumps({"Ref": a}) for a in flow_called
    )
    assert all(a["InstanceId"] == DEV_ARN[stack] and a["IntegrationType"] == "LAMBDA_FUNCTION" for a in associations)


@pytest.mark.parametrize("stack", [ACTIVE])  # dev's DR is a replica: no flows of its own (test_deploy_regions)
def test_flows_have_no_tokens_left_and_call_only_associated_functions(
    dev_stacks: dict[str, Template], stack: str
) -> None:
    template = dev_stacks[stack]
    flows = _resources(template, "AWS::Connect::ContactFlow")
    expected = {f"trunkline-dev-{p.stem}" for p in (ROOT / "contact_flows").glob("*.json")}
    assert {f["Properties"]["Name"] for f in flows.values()} == expected
    lambdas = set(_resources(template, "AWS::Lambda::Function")) | set(_resources(template, "AWS::Lambda::Alias"))
    associated = {
        r for a in _resources(template, "AWS::Connect::IntegrationAssociation").values() for r in refs(a["Properties"])
    }
    called: set[str] = set()
    for flow in flows.values():
        content = flow["Properties"]["Content"]
        text = json.dumps(content)
        assert not TOKEN_LEFT.search(text), f"a %Token% was left in {flow['Properties']['Name']}"
        assert "arn:aws:lambda" not in text  # Lambda ARNs come only from the stack (tokens), never literals
        assert flow["Properties"]["InstanceArn"] == DEV_ARN[stack]
        called |= refs(content) & lambdas
    assert called, "no flow calls a Lambda function"
    assert called <= associated, f"flows call functions that are not associated: {called - associated}"


def test_config_table_is_a_protected_global_table_in_prod(prod_stacks: dict[str, Template]) -> None:
    tables = _resources(prod_stacks["Trunkline-prod-active"], "AWS::DynamoDB::GlobalTable")
    (table,) = [t for t in tables.values() if t["Properties"].get("TableName") == "trunkline-config-prod"]
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"
    props = table["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert {(a["AttributeName"], a["AttributeType"]) for a in props["AttributeDefinitions"]} == {
        ("pk", "S"),
        ("sk", "S"),
    }
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["SSESpecification"]["SSEEnabled"] is True
    replicas = {r["Region"]: r for r in props["Replicas"]}
    assert set(replicas) == {"us-east-1", "us-west-2"}
    for replica in replicas.values():
        assert replica["DeletionProtectionEnabled"] is True
        assert replica["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    dr_tables = _resources(prod_stacks["Trunkline-prod-dr"], "AWS::DynamoDB::GlobalTable").values()
    assert not [t for t in dr_tables if t["Properties"].get("TableName") == "trunkline-config-prod"]


def test_dev_table_can_be_destroyed(dev_stacks: dict[str, Template]) -> None:
    tables = _resources(dev_stacks[ACTIVE], "AWS::DynamoDB::GlobalTable").values()
    table = next(t for t in tables if t["Properties"].get("TableName") == "trunkline-config-dev")
    assert table["DeletionPolicy"] == "Delete"
    assert all(not r.get("DeletionProtectionEnabled") for r in table["Properties"]["Replicas"])
    assert all(
        r["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] for r in table["Properties"]["Replicas"]
    )


@pytest.mark.parametrize("stack", [ACTIVE, DR])
def test_route_reads_but_never_writes_config(dev_stacks: dict[str, Template], stack: str) -> None:
    template = dev_stacks[stack]
    _, fn = function(template, ROUTE)
    granted = actions(role_statements(template, fn))
    dynamo = {a for a in granted if a.startswith("dynamodb:")}
    assert {"dynamodb:GetItem", "dynamodb:Query"} <= dynamo
    writes = {
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:*",
    }
    assert not dynamo & writes
    assert not any(a.startswith("logs:") and a.endswith("*") for a in granted)


def test_role_has_no_aws_managed_policies(dev_stacks: dict[str, Template]) -> None:
    _, fn = function(dev_stacks[ACTIVE], ROUTE)
    role = _resources(dev_stacks[ACTIVE], "AWS::IAM::Role")[fn["Properties"]["Role"]["Fn::GetAtt"][0]]
    assert "ManagedPolicyArns" not in role["Properties"]


def test_deploy_time_publish_runs_once_in_the_active_region(dev_stacks: dict[str, Template]) -> None:
    template = dev_stacks[ACTIVE]
    (publish,) = _resources(template, "Custom::TrunklineConfigPublish").values()
    props = publish["Properties"]
    # The hash of the repo's config/: a config change changes the property, so CloudFormation runs it again.
    assert props["ContentHash"] == bake_config().content_hash
    _, publisher = function(template, PUBLISHER)
    granted = actions(role_statements(template, publisher))
    assert {"dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"} <= granted
    assert not _resources(dev_stacks[DR], "Custom::TrunklineConfigPublish")


def test_without_instance_arn_no_connect_resources(prod_stacks: dict[str, Template]) -> None:
    for template in prod_stacks.values():
        for kind in ("AWS::Connect::ContactFlow", "AWS::Connect::IntegrationAssociation"):
            assert not _resources(template, kind)
        assert not [
            p
            for p in _resources(template, "AWS::Lambda::Permission").values()
            if p["Properties"]["Principal"] == "connect.amazonaws.com"
        ]
        _, route = function(template, ROUTE)
        assert "CONNECT_INSTANCE_ARN" not in route["Properties"]["Environment"]["Variables"]


def test_invalid_config_fails_synth(tmp_path: Path) -> None:
    from routing.config.loader import ConfigInvalidError

    (tmp_path / "broken.yaml").write_text("defaults: {default_queue: nowhere}\n")
    with pytest.raises(ConfigInvalidError, match="nowhere"):
        build_app(cdk.App(context=cdk_context()), environment("dev"), config_dir=tmp_path)


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_cdk_nag_aws_solutions_is_clean(env: str) -> None:
    # On its own App: with findings, synth raises (and Template.from_stack would too).
    from cdk_nag import AwsSolutionsChecks

    app = cdk.App(context=cdk_context())
    build_app(app, environment(env))
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()  # raises on any unacknowledged finding


@pytest.fixture(scope="module")
def app_py_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """The real entry point (as `make synth`/`npx cdk synth` run it, cdk-nag included), minus asset bundling."""
    out = tmp_path_factory.mktemp("cdk.out")
    env = {**os.environ, "CDK_OUTDIR": str(out), "CDK_CONTEXT_JSON": json.dumps(cdk_context())}
    run = subprocess.run([sys.executable, str(ROOT / "app.py")], env=env, capture_output=True, text=True, check=False)
    return run, out


def test_app_py_synthesizes_offline(app_py_out: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    run, out = app_py_out
    assert run.returncode == 0, run.stderr[-2000:]
    assert {p.name for p in out.glob("Trunkline-*.template.json")} == {
        f"{ACTIVE}.template.json",
        f"{DR}.template.json",
        "Trunkline-dev-pipeline.template.json",
    }


def test_cfn_lint_reports_no_errors(app_py_out: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, out = app_py_out
    templates = sorted(str(p) for p in [*out.glob("*.template.json"), *out.glob("assembly-*/*.template.json")])
    assert len(templates) >= 5  # active, DR, pipeline, and the pipeline's two stages
    run = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), "--non-zero-exit-code", "error", "--", *templates],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_store_budget_is_a_setting_bounded_by_the_route_timeout() -> None:
    from stacks.settings import EnvironmentSettings, SettingsError

    base = cdk_context()["environments"]["dev"]
    assert EnvironmentSettings.from_context({"x": base}, "x").store_budget_ms == 1000
    assert EnvironmentSettings.from_context({"x": {**base, "store_budget_ms": 600}}, "x").store_budget_ms == 600
    with pytest.raises(SettingsError, match=r"store_budget_ms must be 100\.\.2000"):
        EnvironmentSettings.from_context({"x": {**base, "store_budget_ms": 2500}}, "x")
    roomy = {**base, "route_timeout_seconds": 5, "store_budget_ms": 2500}
    assert EnvironmentSettings.from_context({"x": roomy}, "x").store_budget_ms == 2500
