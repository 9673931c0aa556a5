"""CDK assertions on the regional stacks: properties, not snapshots."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from stacks.app_builder import build_app
from tests.infra.conftest import ROOT, cdk_context, environment

ACTIVE, DR = "Trunkline-dev-active", "Trunkline-dev-dr"
DEV_ARN = {
    ACTIVE: "arn:aws:connect:us-east-1:111122223333:instance/5f7c9b1e-0d3a-4a8e-9c1f-2b6d8e4a7c10",
    DR: "arn:aws:connect:us-west-2:111122223333:instance/5f7c9b1e-0d3a-4a8e-9c1f-2b6d8e4a7c10",
}


def _resources(template: Template, kind: str) -> dict[str, dict[str, Any]]:
    return template.find_resources(kind)


def _route_function(template: Template) -> tuple[str, dict[str, Any]]:
    functions = {
        k: v
        for k, v in _resources(template, "AWS::Lambda::Function").items()
        if v["Properties"].get("Handler") == "route.handler.lambda_handler"
    }
    assert len(functions) == 1
    return next(iter(functions.items()))


@pytest.mark.parametrize("stack", [ACTIVE, DR])
def test_route_function_fits_the_flow_budget(dev_stacks: dict[str, Template], stack: str) -> None:
    _, fn = _route_function(dev_stacks[stack])
    props = fn["Properties"]
    assert props["Timeout"] <= 3
    assert props["Architectures"] == ["arm64"]
    assert props["Runtime"] == "python3.14"
    assert props["LoggingConfig"]["LogFormat"] == "JSON"
    env = props["Environment"]["Variables"]
    assert env["CONFIG_TABLE_NAME"] == "trunkline-config-dev"
    assert env["CONNECT_INSTANCE_ARN"] == DEV_ARN[stack]
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == "Trunkline"
    assert env["DEFAULT_QUEUE_ID"]


@pytest.mark.parametrize("stack", [ACTIVE, DR])
def test_log_groups_have_retention(dev_stacks: dict[str, Template], stack: str) -> None:
    groups = _resources(dev_stacks[stack], "AWS::Logs::LogGroup")
    assert groups
    assert all(g["Properties"]["RetentionInDays"] == 14 for g in groups.values())


@pytest.mark.parametrize("stack", [ACTIVE, DR])
def test_connect_permission_and_association_target_the_live_alias(dev_stacks: dict[str, Template], stack: str) -> None:
    template = dev_stacks[stack]
    aliases = _resources(template, "AWS::Lambda::Alias")
    route_fn_id, _ = _route_function(template)
    route_alias = [k for k, v in aliases.items() if v["Properties"]["FunctionName"] == {"Ref": route_fn_id}]
    assert len(route_alias) == 1
    assert aliases[route_alias[0]]["Properties"]["Name"] == "live"
    callback_fn = next(
        k
        for k, v in _resources(template, "AWS::Lambda::Function").items()
        if v["Properties"]["Handler"] == "callback.handler.lambda_handler"
    )
    callback_alias = next(k for k, v in aliases.items() if v["Properties"]["FunctionName"] == {"Ref": callback_fn})
    permissions = [
        p["Properties"]
        for p in _resources(template, "AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "connect.amazonaws.com"
    ]
    assert {json.dumps(p["FunctionName"]) for p in permissions} == {
        json.dumps({"Ref": route_alias[0]}),
        json.dumps({"Ref": callback_alias}),
    }
    assert all(p["SourceArn"] == DEV_ARN[stack] and p["SourceAccount"] == "111122223333" for p in permissions)
    associations = sorted(
        (a["Properties"] for a in _resources(template, "AWS::Connect::IntegrationAssociation").values()),
        key=lambda a: json.dumps(a["IntegrationArn"]),
    )
    expected = sorted(
        (
            {"InstanceId": DEV_ARN[stack], "IntegrationType": "LAMBDA_FUNCTION", "IntegrationArn": {"Ref": alias}}
            for alias in (route_alias[0], callback_alias)
        ),
        key=lambda a: json.dumps(a["IntegrationArn"]),
    )
    assert associations == expected


@pytest.mark.parametrize("stack", [ACTIVE, DR])
def test_flows_have_no_tokens_left_and_call_only_associated_functions(
    dev_stacks: dict[str, Template], stack: str
) -> None:
    template = dev_stacks[stack]
    flows = _resources(template, "AWS::Connect::ContactFlow")
    assert {f["Properties"]["Name"] for f in flows.values()} == {"trunkline-dev-inbound", "trunkline-dev-transfer"}
    associated = {
        json.dumps(a["Properties"]["IntegrationArn"])
        for a in _resources(template, "AWS::Connect::IntegrationAssociation").values()
    }
    for flow in flows.values():
        content = json.dumps(flow["Properties"]["Content"])
        assert "%" not in content.replace("%%", ""), "a %Token% was left in a flow"
        assert flow["Properties"]["InstanceArn"] == DEV_ARN[stack]
        # Every Lambda the flow references is an associated alias (the content is a Fn::Join with Refs).
        refs = {json.dumps({"Ref": r}) for r in _refs(flow["Properties"]["Content"])}
        lambda_refs = {r for r in refs if "Alias" in r or "Live" in r}
        assert lambda_refs, "the flow calls no Lambda alias"
        assert lambda_refs <= associated


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        if set(node) == {"Ref"}:
            return {node["Ref"]}
        return {r for v in node.values() for r in _refs(v)}
    if isinstance(node, list):
        return {r for v in node for r in _refs(v)}
    return set()


def test_config_table_is_a_protected_global_table_in_prod(prod_stacks: dict[str, Template]) -> None:
    tables = _resources(prod_stacks["Trunkline-prod-active"], "AWS::DynamoDB::GlobalTable")
    (table,) = [t for t in tables.values() if t["Properties"].get("TableName") == "trunkline-config-prod"]
    assert table["DeletionPolicy"] == "Retain"
    props = table["Properties"]
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


@pytest.mark.parametrize("stack", [ACTIVE, DR])
def test_route_reads_but_never_writes_config(dev_stacks: dict[str, Template], stack: str) -> None:
    template = dev_stacks[stack]
    _route_fn_id, fn = _route_function(template)
    role_ref = fn["Properties"]["Role"]["Fn::GetAtt"][0]
    actions: set[str] = set()
    for policy in _resources(template, "AWS::IAM::Policy").values():
        if {"Ref": role_ref} in policy["Properties"]["Roles"]:
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                a = statement["Action"]
                actions |= set(a if isinstance(a, list) else [a])
    dynamo = {a for a in actions if a.startswith("dynamodb:")}
    assert {"dynamodb:GetItem", "dynamodb:Query"} <= dynamo
    writes = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
    assert not dynamo & writes
    assert not any(a.startswith("logs:") and a.endswith("*") for a in actions)


def test_role_has_no_aws_managed_policies(dev_stacks: dict[str, Template]) -> None:
    _route_fn_id, fn = _route_function(dev_stacks[ACTIVE])
    role = _resources(dev_stacks[ACTIVE], "AWS::IAM::Role")[fn["Properties"]["Role"]["Fn::GetAtt"][0]]
    assert "ManagedPolicyArns" not in role["Properties"]


def test_deploy_time_publish_runs_once_in_the_active_region(dev_stacks: dict[str, Template]) -> None:
    publishes = _resources(dev_stacks[ACTIVE], "Custom::TrunklineConfigPublish")
    assert len(publishes) == 1
    props = next(iter(publishes.values()))["Properties"]
    assert len(props["ContentHash"]) == 64
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
        template.has_resource_properties("AWS::Lambda::Function", {"Handler": "route.handler.lambda_handler"})


def test_invalid_config_fails_synth(tmp_path: Path) -> None:
    from routing.config import ConfigInvalidError

    (tmp_path / "broken.yaml").write_text("defaults: {default_queue: nowhere}\n")
    with pytest.raises(ConfigInvalidError, match="nowhere"):
        build_app(cdk.App(context=cdk_context()), environment("dev"), config_dir=tmp_path)


def test_cdk_nag_aws_solutions_is_clean() -> None:
    from cdk_nag import AwsSolutionsChecks

    app = cdk.App(context=cdk_context())
    build_app(app, environment("dev"))
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()  # raises ValidationFailed on any unacknowledged finding


def test_cfn_lint_reports_no_errors(tmp_path: Path) -> None:
    app = cdk.App(context=cdk_context(), outdir=str(tmp_path))
    build_app(app, environment("dev"))
    app.synth()
    templates = sorted(str(p) for p in tmp_path.glob("*.template.json"))
    assert len(templates) == 2
    run = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), "--non-zero-exit-code", "error", "--", *templates],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_app_py_synthesizes_offline(tmp_path: Path) -> None:
    # The real entry point, as `make synth`/`npx cdk synth` run it, minus asset bundling (pip) for speed.
    env = {**__import__("os").environ, "CDK_OUTDIR": str(tmp_path)}
    env["CDK_CONTEXT_JSON"] = json.dumps(cdk_context())
    run = subprocess.run([sys.executable, str(ROOT / "app.py")], env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    assert {p.name for p in tmp_path.glob("Trunkline-*.template.json")} == {
        f"{ACTIVE}.template.json",
        f"{DR}.template.json",
        "Trunkline-dev-pipeline.template.json",
    }


def test_match_is_used_for_partial_properties(dev_stacks: dict[str, Template]) -> None:
    dev_stacks[ACTIVE].has_resource_properties(
        "AWS::Lambda::Function",
        {"Handler": "config_publisher.handler.lambda_handler", "Environment": Match.object_like({})},
    )
