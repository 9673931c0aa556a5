"""Lambda packaging without Docker: copy ``lambdas/``, pip-install the pinned runtime wheels for the Lambda
platform, and bake the validated ``config/`` document into the bundle (the route function's last fallback)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

ROOT = Path(__file__).resolve().parents[2]
LAMBDAS = ROOT / "lambdas"
CONFIG = ROOT / "config"
REQUIREMENTS = ROOT / "requirements.txt"


def baked_config_payload(config_dir: Path = CONFIG) -> dict[str, Any]:
    """The validated config document as the route function's baked fallback; raises with every issue."""
    if str(LAMBDAS) not in sys.path:
        sys.path.insert(0, str(LAMBDAS))
    from routing.config import ConfigInvalidError, content_hash, load_directory

    result = load_directory(config_dir)
    if result.document is None:
        raise ConfigInvalidError(result.issues)
    digest = content_hash(result.document)
    return {"version": f"baked-{digest[:8]}", "content_hash": digest, "document": result.document}


@jsii.implements(ILocalBundling)
class LocalPythonBundler:
    """Builds the bundle on this machine (no Docker): source, arm64 wheels for Python 3.14, baked config."""

    def __init__(self, config_dir: Path = CONFIG) -> None:
        self._config_dir = config_dir

    def try_bundle(self, output_dir: str, options: Any) -> bool:  # noqa: ARG002 — jsii passes one options struct
        """Called by the CDK during synth when bundling is on for the stack."""
        out = Path(output_dir)
        for item in LAMBDAS.iterdir():
            if item.name == "__pycache__":
                continue
            target = out / item.name
            if item.is_dir():
                shutil.copytree(item, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(item, target)
        subprocess.run(  # noqa: S603 — fixed argument list, our own pinned requirements file
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
                str(REQUIREMENTS),
                "-t",
                str(out),
                # Lambda's Python 3.14 runtime runs on Amazon Linux 2023 (glibc 2.34): manylinux_2_28 wheels fit,
                # and google-re2 publishes only those for aarch64.
                "--platform",
                "manylinux_2_28_aarch64",
                "--platform",
                "manylinux2014_aarch64",
                "--implementation",
                "cp",
                "--python-version",
                "3.14",
                "--only-binary=:all:",
                "--upgrade",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        # The Lambda runtime ships boto3/botocore; bundling pynamodb's copy would add ~80 MB for nothing.
        for pattern in ("botocore", "botocore-*", "boto3", "boto3-*", "s3transfer", "s3transfer-*"):
            for path in out.glob(pattern):
                shutil.rmtree(path, ignore_errors=True)
        baked = out / "routing" / "baked"
        baked.mkdir(parents=True, exist_ok=True)
        (baked / "config.json").write_text(json.dumps(baked_config_payload(self._config_dir)), encoding="utf-8")
        return True


def lambda_code() -> lambda_.Code:
    """One asset for every function: the whole ``lambdas/`` tree plus dependencies and the baked config.

    The asset hash covers the source tree, so bundling reruns only when code or requirements change; the
    config is baked at bundling time and its hash reaches the stack through the deploy-time publish.
    """
    return lambda_.Code.from_asset(
        str(LAMBDAS),
        asset_hash_type=AssetHashType.SOURCE,
        exclude=["**/__pycache__", "**/*.pyc"],
        bundling=BundlingOptions(
            image=DockerImage.from_registry("public.ecr.aws/sam/build-python3.14"),  # never used: local wins
            # jsii calls try_bundle(output_dir, options) with ONE positional struct, not the keywords the
            # generated stub declares (measured: docs/reference toolchain.md), hence the ignore.
            local=LocalPythonBundler(),  # type: ignore[arg-type]
            command=["false"],
        ),
    )
