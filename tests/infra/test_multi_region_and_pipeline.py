"""Both regions, gradual Lambda deploys with automatic rollback, and the CI/CD pipeline."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from stacks.app_builder import build_pipeline
from stacks.settings import EnvironmentSettings
from tests.infra.conftest import cdk_context, environment


def _route(template: Template) -> dict[str, Any]:
    (fn,) = [
        f
        for f in template.find_resources("AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == "route.handler.lambda_handler"
    ]
    return dict(fn)


def test_function_names_match_across_regions(dev_stacks: dict[str, Template]) -> None:
    names = {name: _route(t)["Properties"]["FunctionName"] for name, t in dev_stacks.items()}
    assert set(names.values()) == {"trunkline-dev-route"}
    assert len(names) == 2


def test_dr_stack_reads_the_local_replica_by_the_same_table_name(dev_stacks: dict[str, Template]) -> None:
    active = dev_stacks["Trunkline-dev-active"].find_resources("AWS::DynamoDB::GlobalTable")
    (table,) = [t for t in active.values() if "Replicas" in t["Properties"] and len(t["Properties"]["Replicas"]) == 2]
    assert table["Properties"]["TableName"] == "trunkline-config-dev"
    for template in dev_stacks.values():
        assert _route(template)["Properties"]["Environment"]["Variables"]["CONFIG_TABLE_NAME"] == "trunkline-config-dev"


@pytest.mark.parametrize("stack", ["Trunkline-dev-active", "Trunkline-dev-dr"])
def test_route_deploys_gradually_and_rolls_back_on_its_error_alarm(dev_stacks: dict[str, Template], stack: str) -> None:
    template = dev_stacks[stack]
    route_alias = next(
        v
        for v in template.find_resources("AWS::Lambda::Alias").values()
        if v["Properties"]["FunctionName"] == {"Ref": _route_id(template)}
    )
    group_id = route_alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]["DeploymentGroupName"]["Ref"]
    props = template.find_resources("AWS::CodeDeploy::DeploymentGroup")[group_id]["Properties"]
    assert props["DeploymentConfigName"] == "CodeDeployDefault.LambdaCanary10Percent5Minutes"
    assert set(props["AutoRollbackConfiguration"]["Events"]) >= {"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"}
    watched = [
        template.find_resources("AWS::CloudWatch::Alarm")[ref["Name"]["Ref"]]["Properties"]
        for ref in props["AlarmConfiguration"]["Alarms"]
    ]
    (alarm,) = [a for a in watched if a.get("MetricName") == "Errors"]  # the logic-errors alarm: test_deploy_regions
    assert alarm["Namespace"] == "AWS/Lambda"
    assert {d["Name"] for d in alarm["Dimensions"]} == {"FunctionName", "Resource"}
    assert len(template.find_resources("AWS::CodeDeploy::DeploymentGroup")) == 2  # route and callback


def _route_id(template: Template) -> str:
    return next(
        k
        for k, f in template.find_resources("AWS::Lambda::Function").items()
        if f["Properties"]["Handler"] == "route.handler.lambda_handler"
    )


@pytest.fixture(scope="module")
def pipeline() -> Template:
    app = cdk.App(context=cdk_context())
    stack = build_pipeline(app, environment("dev"))
    assert stack is not None
    return Template.from_stack(stack)


def test_pipeline_stages_in_order(pipeline: Template) -> None:
    (pipe,) = pipeline.find_resources("AWS::CodePipeline::Pipeline").values()
    stages = [s["Name"] for s in pipe["Properties"]["Stages"]]
    assert stages[:2] == ["Source", "Build"]
    assert stages.index("Active") < stages.index("Dr")
    (synth,) = [
        p
        for p in pipeline.find_resources("AWS::CodeBuild::Project").values()
        if "make test" in p["Properties"]["Source"]["BuildSpec"]
    ]
    spec = synth["Properties"]["Source"]["BuildSpec"]
    assert spec.index("make test") < spec.index("npx cdk synth -c env=dev")
    # Synth has the Lambda runtime's Python, so the package ships bytecode of that version (test_bundling.py).
    assert spec.index("uv python install 3.14") < spec.index("TRUNKLINE_LAMBDA_PYTHON=") < spec.index("cdk synth")
    assert "$(uv python find 3.14)" in spec
    source = pipe["Properties"]["Stages"][0]["Actions"][0]
    assert source["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    assert source["Configuration"]["FullRepositoryId"] == "northwind/trunkline"


def _active_stage_actions(manual_approval: bool) -> list[dict[str, Any]]:
    raw = cdk_context()["environments"]
    raw = {**raw, "x": {**raw["dev"], "pipeline": {**raw["dev"]["pipeline"], "manual_approval": manual_approval}}}
    stack = build_pipeline(cdk.App(context=cdk_context()), EnvironmentSettings.from_context(raw, "x"))
    assert stack is not None
    (pipe,) = Template.from_stack(stack).find_resources("AWS::CodePipeline::Pipeline").values()
    actions: list[dict[str, Any]] = next(s for s in pipe["Properties"]["Stages"] if s["Name"] == "Active")["Actions"]
    return actions


def test_manual_approval_gates_the_active_deploy_only_when_asked() -> None:
    gated = _active_stage_actions(True)
    approvals = [a for a in gated if a["ActionTypeId"]["Category"] == "Approval"]
    deploys = [a for a in gated if a["ActionTypeId"]["Category"] == "Deploy"]
    assert len(approvals) == 1
    assert approvals[0]["RunOrder"] < min(a["RunOrder"] for a in deploys)
    assert not [a for a in _active_stage_actions(False) if a["ActionTypeId"]["Category"] == "Approval"]


def test_no_pipeline_without_settings() -> None:
    assert build_pipeline(cdk.App(context=cdk_context()), environment("prod")) is None
