"""Lambda packaging without Docker: one package for every function — ``lambdas/`` (the ``routing`` package and
each handler package), the pinned runtime wheels for the Lambda platform, and the validated ``config/`` document
baked in as ``routing/baked/config.json`` (the route function's last fallback, and what the deploy publishes),
compiled to bytecode by the runtime's Python version when this machine has one (``bundle_build`` holds the steps).

Caching, so repeated synths are fast:
- the asset hash is computed by us from the source tree, ``requirements.txt``, the bundle format and the baked
  config's content hash — a change to any of them is a new asset (and a new Lambda version); nothing else is;
- the pip install (pruned and compiled) is cached apart, under ``.trunkline/lambda-deps/<hash of requirements,
  target, pruning, bytecode>``, so a config or code change re-bundles by copying, compiling only ``lambdas/``.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from stacks.constructs.bundle_build import (
    BAKED_CONFIG,
    DEPS_CACHE,
    INTERPRETER_ENV,
    LAMBDAS,
    REQUIREMENTS,
    ROOT,
    BundleTarget,
    BundlingError,
    build_bundle,
    deps_key,
    find_interpreter,
    source_files,
)

__all__ = [
    "BAKED_CONFIG",
    "INTERPRETER_ENV",
    "BundlingError",
    "LocalPythonBundler",
    "bake_config",
    "lambda_code",
    "package_hash",
]

CONFIG = ROOT / "config"

RUNTIME = lambda_.Runtime.PYTHON_3_14  # newest Lambda Python runtime (cdk-nag L1); Amazon Linux 2023, glibc 2.34
PYTHON_VERSION = RUNTIME.name.removeprefix("python")  # "3.14": the wheels pip selects must match the runtime
# Lambda's AL2023 runtimes have glibc 2.34: manylinux_2_28 wheels fit (google-re2 publishes only those for
# aarch64), manylinux2014 covers the rest.
PLATFORMS = ("manylinux_2_28_aarch64", "manylinux2014_aarch64")
LAMBDA_TARGET = BundleTarget(PYTHON_VERSION, PLATFORMS)
# Bump when the bundle's layout or the steps in bundle_build change: it is part of the asset hash.
BUNDLE_FORMAT = "trunkline-bundle-3"


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
        """The JSON written to ``routing/baked/config.json`` (read by ``routing.config.cache.load_baked``)."""
        return {"version": self.version, "content_hash": self.content_hash, "document": self.document}


def bake_config(config_dir: Path = CONFIG) -> BakedConfig:
    """Validate ``config_dir`` with the routing package's own loader; raise ``ConfigInvalidError`` listing every
    problem (so synth fails on an invalid config)."""
    if str(LAMBDAS) not in sys.path:
        sys.path.insert(0, str(LAMBDAS))
    from routing.config.loader import ConfigInvalidError, content_hash, load_directory

    result = load_directory(config_dir)
    if result.document is None or result.issues:
        raise ConfigInvalidError(result.issues)
    return BakedConfig(content_hash=content_hash(result.document), document=result.document)


def package_hash(
    baked: BakedConfig,
    *,
    source: Path = LAMBDAS,
    requirements: Path = REQUIREMENTS,
    bytecode: bool = True,
) -> str:
    """The asset hash: the source tree, the dependencies, the bundle format, the baked config and whether the
    package holds bytecode (a package built where the runtime's interpreter was missing differs)."""
    digest = hashlib.sha256()
    key = deps_key(LAMBDA_TARGET, requirements, bytecode=bytecode)
    digest.update(f"{BUNDLE_FORMAT}\0{key}\0{baked.content_hash}\0".encode())
    for path in source_files(source):
        digest.update(path.relative_to(source).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def no_bytecode_warning(target: BundleTarget = LAMBDA_TARGET) -> str:
    """What synth prints when no interpreter of the runtime's version is on this machine."""
    return (
        f"WARNING: no Python {target.python_version} interpreter found (set $TRUNKLINE_LAMBDA_PYTHON or put "
        f"python{target.python_version} on PATH): the Lambda package ships WITHOUT bytecode, so every cold start "
        "compiles every module it imports (docs/deployment.md, 'Packaging without Docker')."
    )


@jsii.implements(ILocalBundling)
class LocalPythonBundler:
    """Builds the package on this machine (no Docker): wheels for the Lambda platform, source, baked config,
    bytecode compiled by the runtime's Python version when this machine has it."""

    def __init__(
        self,
        baked: BakedConfig,
        *,
        interpreter: str | None,
        source: Path = LAMBDAS,
        requirements: Path = REQUIREMENTS,
        deps_cache: Path = DEPS_CACHE,
    ) -> None:
        self._baked = baked
        self._interpreter = interpreter
        self._source = source
        self._requirements = requirements
        self._deps_cache = deps_cache

    def try_bundle(self, output_dir: str, options: Any) -> bool:  # noqa: ARG002 — jsii passes one options struct
        """Called by the CDK during synth when bundling is on for the stack; always bundles (never Docker)."""
        if self._interpreter is None:
            rule = "!" * 100
            print(f"{rule}\n{no_bytecode_warning()}\n{rule}", file=sys.stderr)
        build_bundle(
            Path(output_dir),
            self._baked.payload(),
            target=LAMBDA_TARGET,
            interpreter=self._interpreter,
            source=self._source,
            requirements=self._requirements,
            deps_cache=self._deps_cache,
        )
        return True


def lambda_code(baked: BakedConfig, *, source: Path = LAMBDAS, requirements: Path = REQUIREMENTS) -> lambda_.Code:
    """The package every function ships, as Lambda ``Code`` (one per stack: a ``Code`` binds to one stack).

    When a test or a fast synth skips bundling (``aws:cdk:bundling-stacks: []``) the bundler is never called,
    the asset points at the source tree, and the hash is still ours — so templates still differ when config does.
    """
    interpreter = find_interpreter(LAMBDA_TARGET)
    return lambda_.Code.from_asset(
        str(source),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=package_hash(baked, source=source, requirements=requirements, bytecode=interpreter is not None),
        exclude=["**/__pycache__", "**/*.pyc"],
        bundling=BundlingOptions(
            image=DockerImage.from_registry(f"public.ecr.aws/sam/build-{RUNTIME.name}"),  # never used: local wins
            # jsii calls try_bundle(output_dir, options) with ONE positional struct, not the keywords the
            # generated stub declares (measured: ../shared/reference/toolchain.md), hence the ignore.
            local=LocalPythonBundler(  # type: ignore[arg-type]
                baked, interpreter=interpreter, source=source, requirements=requirements
            ),
            command=["false"],
        ),
    )
