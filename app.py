#!/usr/bin/env python3
"""The CDK app: the selected environment's active and DR regional stacks (``-c env=prod``; default from cdk.json).

Synth needs no credentials and no network: nothing here calls AWS.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "lambdas"))  # the routing package validates and bakes config/ at synth

import aws_cdk as cdk  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from stacks.app_builder import build_app, build_pipeline  # noqa: E402


def main() -> None:
    """Synthesize the app."""
    # Under the CDK CLI the context arrives in CDK_CONTEXT_JSON; `python app.py` reads cdk.json itself.
    context = None if "CDK_CONTEXT_JSON" in os.environ else json.loads((ROOT / "cdk.json").read_text())["context"]
    app = cdk.App(outdir=os.environ.get("CDK_OUTDIR"), context=context)
    build_app(app)
    build_pipeline(app)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()


if __name__ == "__main__":
    main()
