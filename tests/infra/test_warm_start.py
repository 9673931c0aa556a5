"""Cold starts kept off the call path (issue 18): SnapStart or provisioned concurrency on the call-path functions.

Given a warm-start setting per call-path function, the synthesized template carries SnapStart on the function (whose
published version the ``live`` alias points at) or provisioned concurrency on ``live`` (optionally scaled by business
hours), and the functions no caller waits on stay on demand.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from stacks.app_builder import build_app
from stacks.settings import EnvironmentSettings, SettingsError
from tests.infra.conftest import ACTIVE, cdk_context

CALL_PATH = {"trunkline-dev-route", "trunkline-dev-callback"}
BUSINESS_HOURS = {"time_zone": "America/New_York", "start": "07:30", "end": "20:00", "days": "MON-SAT"}


def _settings(warm_start: Any) -> EnvironmentSettings:
    environments = copy.deepcopy(cdk_context()["environments"])
    environments["dev"]["warm_start"] = warm_start
    return EnvironmentSettings.from_context(environments, "dev")


def _functions(template: Template) -> dict[str, dict[str, Any]]:
    """Python functions by physical name (generated names keyed by logical id)."""
    found = template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"Runtime": Match.string_like_regexp("py")}}
    )
    return {f["Properties"].get("FunctionName", logical): f["Properties"] for logical, f in found.items()}


def _alias_resource(template: Template, function_name: str) -> dict[str, Any]:
    """The whole ``live`` alias resource of the named function (properties and update policy)."""
    functions = template.find_resources("AWS::Lambda::Function", {"Properties": {"FunctionName": function_name}})
    (logical,) = functions
    (alias,) = [
        a
        for a in template.find_resources("AWS::Lambda::Alias").values()
        if a["Properties"]["FunctionName"] == {"Ref": logical}
    ]
    return dict(alias)


def _alias_of(template: Template, function_name: str) -> dict[str, Any]:
    props: dict[str, Any] = _alias_resource(template, function_name)["Properties"]
    return props


def test_by_default_route_and_callback_use_snapstart_and_nothing_else_does(dev_stacks: dict[str, Template]) -> None:
    functions = _functions(dev_stacks[ACTIVE])
    snap = {name for name, props in functions.items() if props.get("SnapStart") == {"ApplyOn": "PublishedVersions"}}
    assert snap == CALL_PATH
    for name in CALL_PATH:
        assert "ProvisionedConcurrencyConfig" not in _alias_of(dev_stacks[ACTIVE], name)
        assert functions[name]["Environment"]["Variables"]["TRUNKLINE_WARM_START"] == "snapstart"


@pytest.fixture(scope="module")
def provisioned_template() -> Template:
    settings = _settings(
        {"route": {"mode": "provisioned", "count": 40, "business_hours": BUSINESS_HOURS}, "callback": "none"}
    )
    stacks = build_app(cdk.App(context=cdk_context()), settings)
    return Template.from_stack(next(s for s in stacks if s.stack_name == ACTIVE))


def test_provisioned_route_keeps_the_off_hours_count_on_live_and_scales_by_business_hours(
    provisioned_template: Template,
) -> None:
    functions = _functions(provisioned_template)
    assert "SnapStart" not in functions["trunkline-dev-route"]  # Lambda refuses SnapStart with provisioned
    assert _alias_of(provisioned_template, "trunkline-dev-route")["ProvisionedConcurrencyConfig"] == {
        "ProvisionedConcurrentExecutions": 1
    }
    (target,) = provisioned_template.find_resources("AWS::ApplicationAutoScaling::ScalableTarget").values()
    props = target["Properties"]
    assert (props["MinCapacity"], props["MaxCapacity"]) == (1, 40)
    assert props["ScalableDimension"] == "lambda:function:ProvisionedConcurrency"
    actions = {a["ScheduledActionName"]: a for a in props["ScheduledActions"]}
    assert {n.split("BusinessHours")[-1] for n in actions} == {"Start", "End"}
    by_end = {n.split("BusinessHours")[-1]: a for n, a in actions.items()}
    assert by_end["Start"]["Schedule"] == "cron(30 7 ? * MON-SAT *)"
    assert by_end["Start"]["ScalableTargetAction"] == {"MinCapacity": 40, "MaxCapacity": 40}
    assert by_end["End"]["Schedule"] == "cron(0 20 ? * MON-SAT *)"
    assert by_end["End"]["ScalableTargetAction"] == {"MinCapacity": 1, "MaxCapacity": 1}
    assert {a["Timezone"] for a in actions.values()} == {"America/New_York"}


def test_none_means_on_demand_and_the_canary_still_shifts_the_live_alias(provisioned_template: Template) -> None:
    callback = _functions(provisioned_template)["trunkline-dev-callback"]
    assert "SnapStart" not in callback
    assert "ProvisionedConcurrencyConfig" not in _alias_of(provisioned_template, "trunkline-dev-callback")
    for name in CALL_PATH:  # the canary shifts `live` whatever the warm-start mode
        policy = _alias_resource(provisioned_template, name)["UpdatePolicy"]
        assert "CodeDeployLambdaAliasUpdate" in policy


def test_always_on_provisioned_concurrency_has_no_schedule() -> None:
    settings = _settings({"callback": {"mode": "provisioned", "count": 5}})
    stacks = build_app(cdk.App(context=cdk_context()), settings)
    template = Template.from_stack(next(s for s in stacks if s.stack_name == ACTIVE))
    assert _alias_of(template, "trunkline-dev-callback")["ProvisionedConcurrencyConfig"] == {
        "ProvisionedConcurrentExecutions": 5
    }
    template.resource_count_is("AWS::ApplicationAutoScaling::ScalableTarget", 0)
    assert _functions(template)["trunkline-dev-route"]["SnapStart"] == {"ApplyOn": "PublishedVersions"}


@pytest.mark.parametrize(
    ("warm_start", "message"),
    [
        ({"route": "warm"}, "warm_start.route.mode must be one of"),
        ({"outcomes": "snapstart"}, "unknown key(s) ['outcomes']"),
        ({"route": {"mode": "snapstart", "count": 3}}, "apply to mode 'provisioned' only"),
        ({"route": {"mode": "provisioned"}}, "warm_start.route.count must be 1..3000"),
        ({"route": {"mode": "provisioned", "count": True}}, "count must be an integer"),
        (
            {"route": {"mode": "provisioned", "count": 4, "business_hours": {**BUSINESS_HOURS, "off_hours_count": 5}}},
            "off_hours_count must not exceed count (4)",
        ),
        (
            {"route": {"mode": "provisioned", "count": 4, "business_hours": {**BUSINESS_HOURS, "start": "7:30"}}},
            "business_hours.start must be HH:MM",
        ),
        (
            {"route": {"mode": "provisioned", "count": 4, "business_hours": {**BUSINESS_HOURS, "end": "06:00"}}},
            "start 07:30 must be before end 06:00",
        ),
        (
            {"route": {"mode": "provisioned", "count": 4, "business_hours": {**BUSINESS_HOURS, "days": "WEEKDAYS"}}},
            "days must be a cron day list",
        ),
        (
            {"route": {"mode": "provisioned", "count": 4, "business_hours": {**BUSINESS_HOURS, "time_zone": "EST"}}},
            "time_zone must be an IANA zone",
        ),
        ("snapstart", "warm_start must be a mapping"),
    ],
)
def test_bad_warm_start_settings_are_refused_naming_the_key(warm_start: Any, message: str) -> None:
    with pytest.raises(SettingsError) as err:
        _settings(warm_start)
    assert message in str(err.value)
    assert "environments.dev.warm_start" in str(err.value)


def test_cdk_nag_and_cfn_lint_are_clean_with_provisioned_business_hours(tmp_path: Path) -> None:
    from cdk_nag import AwsSolutionsChecks

    app = cdk.App(context=cdk_context(), outdir=str(tmp_path))
    build_app(
        app,
        _settings(
            {"route": {"mode": "provisioned", "count": 10, "business_hours": BUSINESS_HOURS}, "callback": "none"}
        ),
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()  # raises on any unacknowledged cdk-nag finding
    templates = sorted(str(p) for p in tmp_path.glob("Trunkline-dev-*.template.json"))
    assert templates
    run = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), "--non-zero-exit-code", "error", "--", *templates],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
