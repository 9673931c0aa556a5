"""The lock files `make lock` writes from pyproject.toml, and the commands that read them.

requirements.txt is what every Lambda bundle installs (stacks/constructs/bundle_build.py), requirements-demo.txt
what `make demo` installs, requirements-dev.txt the whole toolchain: each must pin every package it names, and the
smaller ones must agree with the dev lock they are constrained to.
"""

from __future__ import annotations

import ast
import re
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
# `name==version`, then an optional environment marker and an optional `# via ...` annotation.
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;#]+)(?:\s*;[^#]*)?(?:\s+#.*)?$")


def _name(raw: str) -> str:
    return re.sub(r"[-_.]+", "-", raw).lower()


def _pins(file: str) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / file).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"{file}: not an exact pin: {line!r}"
        pins[_name(match["name"])] = match["version"]
    return pins


def _declared(extra: str | None) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    return {_name(re.split(r"[\[<>=!~; ]", spec, maxsplit=1)[0]) for spec in specs}


def _constant(module: Path, name: str) -> str:
    """A module-level string constant, read without importing the module (importing the CDK starts jsii)."""
    for node in ast.parse(module.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == [name]:
            value = ast.literal_eval(node.value)
            assert isinstance(value, str)
            return value
    raise AssertionError(f"{name} not found in {module}")


def test_every_lock_pins_exactly_and_the_smaller_ones_agree_with_the_dev_lock() -> None:
    runtime, demo, dev = _pins("requirements.txt"), _pins("requirements-demo.txt"), _pins("requirements-dev.txt")
    assert runtime.items() <= demo.items() <= dev.items()


def test_each_lock_holds_what_its_group_declares() -> None:
    runtime, demo, dev = _pins("requirements.txt"), _pins("requirements-demo.txt"), _pins("requirements-dev.txt")
    assert _declared(None) <= runtime.keys()
    assert _declared("demo") <= demo.keys()
    assert _declared("dev") - {"trunkline"} <= dev.keys()


def test_the_runtime_lock_ships_no_tool_only_package() -> None:
    runtime = _pins("requirements.txt")
    # No function parses YAML or talks to moto; boto3 comes with the Lambda runtime.
    assert not {"pyyaml", "moto", "boto3", "aws-cdk-lib", "pytest"} & runtime.keys()


def test_the_pipeline_test_step_installs_one_pinned_boto3() -> None:
    """The pipeline's Connect-test step picks boto3's pin out of the dev lock with a shell substitution: it must
    yield the requirement alone, not the lock's `# via ...` annotation as extra pip arguments."""
    command = _constant(ROOT / "stacks" / "pipeline_stack.py", "CONNECT_TESTS_INSTALL")
    substitution = re.search(r"\$\((.*)\)", command)
    assert substitution, command
    run = subprocess.run(
        ["bash", "-c", f"printf '%s\\n' {substitution.group(0)}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.split() == [f"boto3=={_pins('requirements-dev.txt')['boto3']}"]
