"""Builds the stacks of one environment into an App (used by app.py and the infra tests)."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk

from stacks.pipeline_stack import PipelineStack
from stacks.regional_stack import RegionalStack
from stacks.settings import EnvironmentSettings

ROOT = Path(__file__).resolve().parents[1]


def settings_from_app(app: cdk.App) -> EnvironmentSettings:
    """The environment selected by ``-c env=NAME`` from cdk.json's ``environments``."""
    environments = app.node.try_get_context("environments")
    if not isinstance(environments, dict):
        raise ValueError("cdk.json context needs 'environments'")
    name = app.node.try_get_context("env") or "dev"
    return EnvironmentSettings.from_context(environments, str(name))


def build_app(
    app: cdk.App,
    settings: EnvironmentSettings | None = None,
    *,
    config_dir: Path = ROOT / "config",
    flow_dir: Path = ROOT / "contact_flows",
) -> list[RegionalStack]:
    """One RegionalStack per region of the environment (active first); stable construct ids."""
    settings = settings or settings_from_app(app)
    stacks = []
    for region in settings.regions:
        stack = RegionalStack(
            app,
            f"Trunkline-{settings.name}-{region.role}",
            settings=settings,
            region=region,
            config_dir=config_dir,
            flow_dir=flow_dir,
            description=f"Trunkline contact routing ({settings.name}, {region.role} region {region.region})",
        )
        stacks.append(stack)
    if len(stacks) == 2:
        stacks[1].add_stack_dependency(stacks[0], "the DR stack references the active region's global table replica")
    return stacks


def build_pipeline(app: cdk.App, settings: EnvironmentSettings | None = None) -> PipelineStack | None:
    """The environment's pipeline stack, when cdk.json gives it pipeline settings."""
    settings = settings or settings_from_app(app)
    if settings.pipeline is None:
        return None
    return PipelineStack(app, f"Trunkline-{settings.name}-pipeline", settings=settings)
