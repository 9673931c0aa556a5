"""The steps that build the Lambda package, free of the CDK so the bench and the tests build it exactly as synth does.

``build_bundle`` = the pip-installed wheels for a target (cached), minus what the runtime provides and what no
function imports, plus ``lambdas/`` and the baked config, then bytecode compiled by the target's own interpreter.

Bytecode is hash-based and UNCHECKED: the CDK zips assets with fixed file times, so timestamp pycs would never
match their sources and a cold container would recompile every module (it cannot write them to ``/var/task``).
Unchecked, not checked: a checked pyc makes the interpreter read and hash the ``.py`` on every import, which is
most of what bytecode saves; the sources and pycs of a bundle are built together in one step, hashed as one asset
and never edited in place, so there is nothing to check against. A pyc is specific to the interpreter's version,
so only an interpreter of the target's version compiles; without one the bundle ships source only (and says so).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LAMBDAS = ROOT / "lambdas"
REQUIREMENTS = ROOT / "requirements.txt"
DEPS_CACHE = ROOT / ".trunkline" / "lambda-deps"
BAKED_CONFIG = Path("routing") / "baked" / "config.json"
# Where Lambda unpacks the package: the path tracebacks name (pycs record it; the interpreter corrects it on load).
TASK_ROOT = "/var/task"
# Point synth at the runtime's interpreter when it is not ``python3.X`` on PATH (e.g. a uv-managed one).
INTERPRETER_ENV = "TRUNKLINE_LAMBDA_PYTHON"
# The Lambda Python runtime ships boto3/botocore and their dependencies; our copies would shadow its consistent set
# (pynamodb pulls botocore and botocore pulls the rest) and add ~30 MB for nothing.
RUNTIME_PROVIDED = (
    "boto3",
    "boto3-*",
    "botocore",
    "botocore-*",
    "s3transfer",
    "s3transfer-*",
    "jmespath",
    "jmespath-*",
    "dateutil",
    "python_dateutil-*",
    "urllib3",
    "urllib3-*",
    "six.py",
    "six-*",
)
# Console scripts pip installs beside the packages: nothing on Lambda runs them.
TOP_LEVEL_DEAD_WEIGHT = ("bin",)
# Installed but imported by no function: type stubs and their markers, tests, caches of the build's Python.
DEAD_WEIGHT_DIRS = frozenset({"__pycache__", "tests", "test"})
DEAD_WEIGHT_SUFFIXES = frozenset({".pyi", ".pyc", ".typed"})
_IGNORED_DIRS = frozenset({"__pycache__", ".mypy_cache", ".pytest_cache"})


@dataclass(frozen=True, slots=True)
class BundleTarget:
    """The interpreter a package is built for: its ``X.Y`` version and the wheel platforms pip may pick."""

    python_version: str
    platforms: tuple[str, ...]

    @property
    def cache_tag(self) -> str:
        """``sys.implementation.cache_tag`` of the target (``cpython-314``): names its pycs, picks its interpreter."""
        return "cpython-" + self.python_version.replace(".", "")


def host_target() -> BundleTarget:
    """This machine's interpreter and platform: a bundle the bench and tests can import here."""
    machine = platform.machine()
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    return BundleTarget(version, (f"manylinux_2_28_{machine}", f"manylinux2014_{machine}"))


def _cache_tag_of(executable: str) -> str | None:
    if executable == sys.executable:
        return sys.implementation.cache_tag
    try:
        run = subprocess.run(  # noqa: S603 — an interpreter path we were given or found on PATH, fixed argv
            [executable, "-c", "import sys; print(sys.implementation.cache_tag)"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return run.stdout.strip() if run.returncode == 0 else None


def find_interpreter(target: BundleTarget) -> str | None:
    """An interpreter whose bytecode the target runs: ``$TRUNKLINE_LAMBDA_PYTHON``, this one, or ``pythonX.Y``
    on PATH — each checked by its cache tag (a pyenv shim that is not installed answers nothing)."""
    candidates = [os.environ.get(INTERPRETER_ENV), sys.executable, shutil.which(f"python{target.python_version}")]
    for candidate in candidates:
        if candidate and _cache_tag_of(candidate) == target.cache_tag:
            return candidate
    return None


def source_files(source: Path = LAMBDAS) -> Iterator[Path]:
    """The files of ``lambdas/`` that ship (no caches, no pycs, no stale baked config)."""
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if path.is_dir() or _IGNORED_DIRS & set(rel.parts) or path.suffix == ".pyc" or rel == BAKED_CONFIG:
            continue
        yield path


def deps_key(target: BundleTarget, requirements: Path = REQUIREMENTS, *, bytecode: bool = True) -> str:
    """What the cached dependency install depends on: the pinned requirements, the target, the pruning and whether
    it holds bytecode."""
    digest = hashlib.sha256()
    digest.update(requirements.read_bytes())
    pruned = [RUNTIME_PROVIDED, TOP_LEVEL_DEAD_WEIGHT, sorted(DEAD_WEIGHT_DIRS), sorted(DEAD_WEIGHT_SUFFIXES)]
    digest.update(json.dumps([target.python_version, target.platforms, pruned, bytecode]).encode())
    return digest.hexdigest()


class BundlingError(RuntimeError):
    """The local bundler could not install or compile the Lambda package."""


def prune(root: Path) -> None:
    """Delete what the runtime provides and what no function imports (see the module docstring)."""
    for pattern in (*RUNTIME_PROVIDED, *TOP_LEVEL_DEAD_WEIGHT):
        for path in root.glob(pattern):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
    for path in sorted(root.rglob("*"), reverse=True):  # children before parents
        if path.is_dir() and path.name in DEAD_WEIGHT_DIRS and not path.name.endswith(".dist-info"):
            shutil.rmtree(path)
        elif path.is_file() and path.suffix in DEAD_WEIGHT_SUFFIXES:
            path.unlink()


def compile_bytecode(root: Path, interpreter: str, *paths: Path) -> None:
    """Unchecked-hash pycs next to every module under ``paths`` (default: all of ``root``), by ``interpreter``,
    recording ``/var/task/...`` as their file names so the bytes do not depend on the build directory."""
    targets = [str(p) for p in paths] or [str(root)]
    command = [interpreter, "-m", "compileall", "-q", "-f", "--invalidation-mode", "unchecked-hash"]
    command += ["-s", str(root), "-p", TASK_ROOT, *targets]
    run = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 — fixed argv
    if run.returncode != 0:
        raise BundlingError(f"compiling the Lambda package failed:\n{(run.stdout + run.stderr)[-4000:]}")


def install_dependencies(
    target: BundleTarget,
    *,
    interpreter: str | None,
    requirements: Path = REQUIREMENTS,
    deps_cache: Path = DEPS_CACHE,
) -> Path:
    """The requirements for ``target``, pruned and (with an interpreter) compiled: installed once per key."""
    cached = deps_cache / deps_key(target, requirements, bytecode=interpreter is not None)
    if cached.is_dir():
        return cached
    deps_cache.mkdir(parents=True, exist_ok=True)
    staging = deps_cache / f"{cached.name}.tmp-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"]
    command += ["-r", str(requirements), "-t", str(staging), "--implementation", "cp"]
    command += ["--python-version", target.python_version, "--only-binary=:all:"]
    for name in target.platforms:
        command += ["--platform", name]
    run = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 — fixed argv
    if run.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise BundlingError(f"pip install for the Lambda package failed:\n{run.stderr[-4000:]}")
    try:
        prune(staging)
        if interpreter is not None:
            compile_bytecode(staging, interpreter)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    try:
        staging.rename(cached)
    except OSError:  # another synth finished the same install first: use it
        shutil.rmtree(staging, ignore_errors=True)
    return cached


def _link_or_copy(src: str, dst: str) -> None:
    # Hard links keep a re-bundle of the wheels instant; the CDK zips the staged directory, never edits it.
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def build_bundle(
    out: Path,
    baked_payload: dict[str, Any],
    *,
    target: BundleTarget,
    interpreter: str | None,
    source: Path = LAMBDAS,
    requirements: Path = REQUIREMENTS,
    deps_cache: Path = DEPS_CACHE,
) -> None:
    """Write the package into ``out``: dependencies, ``lambdas/``, the baked config, and bytecode when
    ``interpreter`` (of the target's version: ``find_interpreter``) is given."""
    if interpreter is not None and _cache_tag_of(interpreter) != target.cache_tag:
        raise BundlingError(f"{interpreter} does not compile for {target.cache_tag}: refusing pycs of another version")
    deps = install_dependencies(target, interpreter=interpreter, requirements=requirements, deps_cache=deps_cache)
    shutil.copytree(deps, out, dirs_exist_ok=True, copy_function=_link_or_copy)
    tops: set[Path] = set()
    for path in source_files(source):
        rel = path.relative_to(source)
        target_path = out / rel
        target_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target_path)
        tops.add(out / rel.parts[0])
    baked = out / BAKED_CONFIG
    baked.parent.mkdir(parents=True, exist_ok=True)
    baked.write_text(json.dumps(baked_payload, sort_keys=True), encoding="utf-8")
    if interpreter is not None:
        compile_bytecode(out, interpreter, *sorted(p for p in tops if p.is_dir() or p.suffix == ".py"))
