"""Lambda packaging without Docker: one package for every function — ``lambdas/`` (the ``routing`` package and
each handler package), the pinned runtime wheels for the Lambda platform, and the validated ``config/`` document
baked in as ``routing/baked/config.json`` (the route function's last fallback, and what the deploy publishes).

Caching, so repeated synths are fast:
- the asset hash is computed by us from the source tree, ``requirements.txt``, the bundle format and the baked
  config's content hash — a change to any of them is a new asset (and a new Lambda version); nothing else is;
- the pip install is cached apart, under ``.trunkline/lambda-deps/<hash of requirements + platform>``, so a config
  or code change re-bundles by copying, without pip.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

ROOT = Path(__file__).resolve().parents[2]
LAMBDAS = ROOT / "lambdas"
CONFIG = ROOT / "config"
REQUIREMENTS = ROOT / "requirements.txt"
DEPS_CACHE = ROOT / ".trunkline" / "lambda-deps"
BAKED_CONFIG = Path("routing") / "baked" / "config.json"

RUNTIME = lambda_.Runtime.PYTHON_3_14  # newest Lambda Python runtime (cdk-nag L1); Amazon Linux 2023, glibc 2.34
PYTHON_VERSION = RUNTIME.name.removeprefix("python")  # "3.14": the wheels pip selects must match the runtime
# Lambda's AL2023 runtimes have glibc 2.34: manylinux_2_28 wheels fit (google-re2 publishes only those for
# aarch64), manylinux2014 covers the rest.
PLATFORMS = ("manylinux_2_28_aarch64", "manylinux2014_aarch64")
# The Lambda runtime ships boto3/botocore; pynamodb's copy would add ~80 MB for nothing.
RUNTIME_PROVIDED = ("boto3", "boto3-*", "botocore", "botocore-*", "s3transfer", "s3transfer-*")
# Bump when the bundle's layout or the steps below change: it is part of the asset hash.
BUNDLE_FORMAT = "trunkline-bundle-2"
_IGNORED_DIRS = {"__pycache__", ".mypy_cache", ".pytest_cache"}


@dataclass(frozen=True, slots=True)
class BakedConfig:
    """The validated ``config/`` document, as baked into the bundle and published at deploy time."""

    content_hash: str
    document: dict[str, Any]

    @property
    def version(self) -> str:
        """How the route function names the baked version in its decisions (``config_version``)."""
        return f"baked-{self.content_hash[:8]}"

    def payload(self) -> dict[str, Any]:
        """The JSON written to ``routing/baked/config.json`` (read by ``routing.config_cache.load_baked``)."""
        return {"version": self.version, "content_hash": self.content_hash, "document": self.document}


def bake_config(config_dir: Path = CONFIG) -> BakedConfig:
    """Validate ``config_dir`` with the routing package's own loader; raise ``ConfigInvalidError`` listing every
    problem (so synth fails on an invalid config)."""
    if str(LAMBDAS) not in sys.path:
        sys.path.insert(0, str(LAMBDAS))
    from routing.config import ConfigInvalidError, content_hash, load_directory

    result = load_directory(config_dir)
    if result.document is None or result.issues:
        raise ConfigInvalidError(result.issues)
    return BakedConfig(content_hash=content_hash(result.document), document=result.document)


def _source_files(source: Path) -> Iterator[Path]:
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if path.is_dir() or _IGNORED_DIRS & set(rel.parts) or path.suffix == ".pyc" or rel == BAKED_CONFIG:
            continue
        yield path


def deps_key(requirements: Path = REQUIREMENTS) -> str:
    """What the pip install depends on: the pinned requirements and the target platform."""
    digest = hashlib.sha256()
    digest.update(requirements.read_bytes())
    digest.update(json.dumps([PYTHON_VERSION, PLATFORMS, RUNTIME_PROVIDED]).encode())
    return digest.hexdigest()


def package_hash(baked: BakedConfig, *, source: Path = LAMBDAS, requirements: Path = REQUIREMENTS) -> str:
    """The asset hash: the source tree, the dependencies, the bundle format and the baked config."""
    digest = hashlib.sha256()
    digest.update(f"{BUNDLE_FORMAT}\0{deps_key(requirements)}\0{baked.content_hash}\0".encode())
    for path in _source_files(source):
        digest.update(path.relative_to(source).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _link_or_copy(src: str, dst: str) -> None:
    # Hard links keep a re-bundle of ~77 MB of wheels instant; the CDK zips the staged directory, never edits it.
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


class BundlingError(RuntimeError):
    """The local bundler could not install the Lambda dependencies."""


@jsii.implements(ILocalBundling)
class LocalPythonBundler:
    """Builds the package on this machine (no Docker): wheels for the Lambda platform, source, baked config."""

    def __init__(
        self,
        baked: BakedConfig,
        *,
        source: Path = LAMBDAS,
        requirements: Path = REQUIREMENTS,
        deps_cache: Path = DEPS_CACHE,
    ) -> None:
        self._baked = baked
        self._source = source
        self._requirements = requirements
        self._deps_cache = deps_cache

    def try_bundle(self, output_dir: str, options: Any) -> bool:  # noqa: ARG002 — jsii passes one options struct
        """Called by the CDK during synth when bundling is on for the stack; always bundles (never Docker)."""
        out = Path(output_dir)
        shutil.copytree(self._dependencies(), out, dirs_exist_ok=True, copy_function=_link_or_copy)
        for path in _source_files(self._source):
            target = out / path.relative_to(self._source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        baked = out / BAKED_CONFIG
        baked.parent.mkdir(parents=True, exist_ok=True)
        baked.write_text(json.dumps(self._baked.payload(), sort_keys=True), encoding="utf-8")
        return True

    def _dependencies(self) -> Path:
        """The pip-installed requirements for the Lambda platform, installed once per requirements/platform."""
        cached = self._deps_cache / deps_key(self._requirements)
        if cached.is_dir():
            return cached
        self._deps_cache.mkdir(parents=True, exist_ok=True)
        staging = self._deps_cache / f"{cached.name}.tmp-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"]
        command += ["-r", str(self._requirements), "-t", str(staging), "--implementation", "cp"]
        command += ["--python-version", PYTHON_VERSION, "--only-binary=:all:"]
        for platform in PLATFORMS:
            command += ["--platform", platform]
        run = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 — fixed argv
        if run.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            raise BundlingError(f"pip install for the Lambda package failed:\n{run.stderr[-4000:]}")
        for pattern in RUNTIME_PROVIDED:
            for path in staging.glob(pattern):
                shutil.rmtree(path, ignore_errors=True)
        try:
            staging.rename(cached)
        except OSError:  # another synth finished the same install first: use it
            shutil.rmtree(staging, ignore_errors=True)
        return cached


def lambda_code(baked: BakedConfig, *, source: Path = LAMBDAS, requirements: Path = REQUIREMENTS) -> lambda_.Code:
    """The package every function ships, as Lambda ``Code`` (one per stack: a ``Code`` binds to one stack).

    When a test or a fast synth skips bundling (``aws:cdk:bundling-stacks: []``) the bundler is never called,
    the asset points at the source tree, and the hash is still ours — so templates still differ when config does.
    """
    return lambda_.Code.from_asset(
        str(source),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=package_hash(baked, source=source, requirements=requirements),
        exclude=["**/__pycache__", "**/*.pyc"],
        bundling=BundlingOptions(
            image=DockerImage.from_registry(f"public.ecr.aws/sam/build-{RUNTIME.name}"),  # never used: local wins
            # jsii calls try_bundle(output_dir, options) with ONE positional struct, not the keywords the
            # generated stub declares (measured: docs/reference toolchain.md), hence the ignore.
            local=LocalPythonBundler(baked, source=source, requirements=requirements),  # type: ignore[arg-type]
            command=["false"],
        ),
    )
