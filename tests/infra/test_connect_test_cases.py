"""The exported Connect test cases in the stack and the pipeline (issue 11 §3): off by default, deployed where the
flows are, every placeholder filled, run after each region's deploy before the next region, cdk-nag and cfn-lint
clean."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from stacks.app_builder import build_app, build_pipeline
from tests.infra.conftest import ACTIVE, DEV_ARN, DR, DR_INDEPENDENT_ARN, ROOT, cdk_context, settings_with
from tests.infra.queries import TOKEN_LEFT, alias_of, function, refs

CASES = sorted(p.stem for p in (ROOT / "connect_tests").glob("*.json") if p.name != "skipped.json")


def _cases(template: Template) -> dict[str, Any]:
    return dict(template.find_resources("AWS::Connect::TestCase"))


def test_off_by_default(dev_stacks: dict[str, Template]) -> None:
    assert CASES
    for template in dev_stacks.values():
        assert not _cases(template)


@pytest.mark.parametrize(("stack", "arn"), [(ACTIVE, DEV_ARN[ACTIVE]), (DR, DR_INDEPENDENT_ARN)])
def test_one_published_case_per_exported_file_with_every_placeholder_filled(
    independent: dict[str, Template], stack: str, arn: str
) -> None:
    template = independent[stack]
    cases = _cases(template)
    assert len(cases) == len(CASES)
    (inbound_id,) = [
        k
        for k, f in template.find_resources("AWS::Connect::ContactFlow").items()
        if f["Properties"]["Name"] == "trunkline-x-inbound"
    ]
    route_alias, _ = alias_of(template, function(template, "route.handler.lambda_handler")[0])
    names = set()
    for case in cases.values():
        props = case["Properties"]
        names.add(props["Name"])
        assert props["Status"] == "PUBLISHED"
        assert props["InstanceArn"] == arn
        entry = props["EntryPoint"]
        flow_id = (entry.get("VoiceCallEntryPointParameters") or entry.get("ChatEntryPointParameters"))["FlowId"]
        assert flow_id == {"Fn::GetAtt": [inbound_id, "ContactFlowArn"]}
        text = json.dumps(props["Content"])
        assert not TOKEN_LEFT.search(text), props["Name"]
        assert not TOKEN_LEFT.search(json.dumps(props.get("InitializationData", ""))), props["Name"]
        assert arn in text  # queues of this region's instance
        assert route_alias in refs(props["Content"])  # the route mock names the deployed alias
    assert names == {f"trunkline-x-{c}" for c in CASES}


def test_pipeline_runs_the_cases_after_each_deploy_and_before_the_next_region(tests_pipeline: Template) -> None:
    pipeline = tests_pipeline
    (pipe,) = pipeline.find_resources("AWS::CodePipeline::Pipeline").values()
    stages = {s["Name"]: s["Actions"] for s in pipe["Properties"]["Stages"]}
    order = [s["Name"] for s in pipe["Properties"]["Stages"]]
    assert order.index("Active") < order.index("Dr")
    projects = pipeline.find_resources("AWS::CodeBuild::Project")
    for stage, region, instance in (("Active", "us-east-1", DEV_ARN[ACTIVE]), ("Dr", "us-west-2", DEV_ARN[DR])):
        actions = stages[stage]
        deploys = [a for a in actions if a["ActionTypeId"]["Category"] == "Deploy"]
        (test,) = [a for a in actions if a["ActionTypeId"]["Category"] == "Build"]
        # In the same stage, after every deploy action: a failure fails the stage and stops the pipeline there.
        assert test["RunOrder"] > max(a["RunOrder"] for a in deploys)
        spec = projects[test["Configuration"]["ProjectName"]["Ref"]]["Properties"]["Source"]["BuildSpec"]
        instance_id = instance.rsplit("/", 1)[1]
        assert f"flows run-tests --instance-id {instance_id} --region {region} --prefix trunkline-x-" in spec
    granted = {
        action
        for policy in pipeline.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        for action in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
    }
    assert {"connect:StartTestCaseExecution", "connect:GetTestCaseExecutionSummary"} <= granted


def test_no_test_step_when_the_setting_is_off() -> None:
    stack = build_pipeline(cdk.App(context=cdk_context()), settings_with())
    assert stack is not None
    (pipe,) = Template.from_stack(stack).find_resources("AWS::CodePipeline::Pipeline").values()
    for stage in [s for s in pipe["Properties"]["Stages"] if s["Name"] in ("Active", "Dr")]:
        assert not [a for a in stage["Actions"] if a["ActionTypeId"]["Category"] == "Build"]


def test_cdk_nag_and_cfn_lint_are_clean_with_the_cases_on(tmp_path: Path) -> None:
    from cdk_nag import AwsSolutionsChecks

    app = cdk.App(context=cdk_context(), outdir=str(tmp_path))
    settings = settings_with(connect_test_cases=True)
    build_app(app, settings)
    build_pipeline(app, settings)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()  # raises on any unacknowledged finding
    templates = sorted(
        str(p) for p in [*tmp_path.glob("*.template.json"), *tmp_path.glob("assembly-*/*.template.json")]
    )
    assert any("TestCase" in Path(t).read_text() for t in templates)
    run = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), "--non-zero-exit-code", "error", "--", *templates],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
