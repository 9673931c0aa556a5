"""The callback function's HMAC key (issue 12, PII at rest): a generated secret per region, handed to the function
as a deploy-time dynamic reference — never a literal in the template, never a call to Secrets Manager at run time."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Template

from tests.infra.conftest import ACTIVE, DR


def _callback_env(template: Template) -> dict[str, Any]:
    (fn,) = template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"Handler": "callback.handler.lambda_handler"}}
    ).values()
    env: dict[str, Any] = fn["Properties"]["Environment"]["Variables"]
    return env


@pytest.mark.parametrize("stack", [ACTIVE, DR])
def test_the_number_key_is_a_dynamic_reference_to_this_regions_generated_secret(
    dev_stacks: dict[str, Template], stack: str
) -> None:
    template = dev_stacks[stack]
    (logical, secret), *others = template.find_resources("AWS::SecretsManager::Secret").items()
    assert not others
    assert secret["Properties"]["GenerateSecretString"]["PasswordLength"] == 64
    key = json.dumps(_callback_env(template)["CALLBACK_NUMBER_KEY"])
    assert "{{resolve:secretsmanager:" in key
    assert logical in key  # the secret of this stack, by reference


def test_the_callback_role_needs_no_secrets_manager_access(dev_stacks: dict[str, Template]) -> None:
    policies = json.dumps(dev_stacks[ACTIVE].find_resources("AWS::IAM::Policy"))
    assert "secretsmanager:GetSecretValue" not in policies  # resolved by CloudFormation at deploy, not by the code


@pytest.mark.parametrize("stack", [ACTIVE, DR])
def test_the_callback_function_gets_the_store_budget_the_route_gets(
    dev_stacks: dict[str, Template], stack: str
) -> None:
    """Issue 12: one deadline over every DynamoDB request of a callback invocation, the same setting as route."""
    template = dev_stacks[stack]
    (route,) = template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"Handler": "route.handler.lambda_handler"}}
    ).values()
    budget = _callback_env(template)["STORE_BUDGET_MS"]
    assert budget == route["Properties"]["Environment"]["Variables"]["STORE_BUDGET_MS"] == "1000"
