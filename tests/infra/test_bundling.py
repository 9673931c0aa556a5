"""The Lambda package as the bundler builds it: bytecode for every module (of the right version, matching the shipped
source), nothing the runtime provides or no function imports, and every handler importable from the package alone.

The package is built for THIS machine's interpreter and platform (``host_target``) so it can be imported here; the
steps are the ones synth runs for the Lambda target. The pip install is cached in ``.trunkline/lambda-deps``.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import marshal
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.coldstart_bench import isolated_env, run_isolated, runtime_dir
from stacks.constructs import bundling
from stacks.constructs.bundle_build import (
    INTERPRETER_ENV,
    BundleTarget,
    BundlingError,
    build_bundle,
    find_interpreter,
    host_target,
)
from stacks.constructs.bundling import LAMBDA_TARGET, LocalPythonBundler, bake_config, package_hash

ROOT = Path(__file__).resolve().parents[2]
LAMBDAS = ROOT / "lambdas"
HANDLERS = sorted(p.parent.name for p in LAMBDAS.glob("*/handler.py"))
# Imported by lambdas/ but on purpose not shipped: only routing.config.loader.load_directory (synth, CLI) reads YAML.
# yaml: read only by config loading (synth, CLI); snapshot_restore_py: the SnapStart hooks module the Lambda managed
# runtime provides (imported guarded: absent elsewhere).
NOT_SHIPPED = {"yaml", "snapshot_restore_py"}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "task"
    build_bundle(out, bake_config().payload(), target=host_target(), interpreter=sys.executable)
    return out


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(runtime_dir(tmp_path_factory.mktemp("runtime") / "runtime"))


def _modules(bundle: Path) -> list[Path]:
    return sorted(p for p in bundle.rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.slow
def test_every_shipped_module_has_unchecked_hash_bytecode_of_this_version_and_source(bundle: Path) -> None:
    modules = _modules(bundle)
    assert len(modules) > 500  # the whole package, dependencies included
    tag = sys.implementation.cache_tag
    for module in modules:
        pyc = module.parent / "__pycache__" / f"{module.stem}.{tag}.pyc"
        assert pyc.is_file(), f"no bytecode for {module.relative_to(bundle)}"
        header = pyc.read_bytes()[:16]
        assert header[:4] == importlib.util.MAGIC_NUMBER, pyc
        # PEP 552 flags: bit 0 hash-based, bit 1 check_source. Unchecked hash: 0b01.
        assert int.from_bytes(header[4:8], "little") == 0b01, pyc
        assert header[8:16] == importlib.util.source_hash(module.read_bytes()), f"stale bytecode: {pyc}"
        # Tracebacks name the path on Lambda, and the bytes do not depend on where the bundle was built.
        code = marshal.loads(pyc.read_bytes()[16:])
        assert code.co_filename == f"/var/task/{module.relative_to(bundle).as_posix()}"
    stray = [p for p in bundle.rglob("*.pyc") if not p.name.endswith(f".{tag}.pyc")]
    assert stray == []


@pytest.mark.slow
def test_the_bundle_holds_nothing_the_runtime_provides_or_no_function_imports(bundle: Path) -> None:
    top = {p.name.lower() for p in bundle.iterdir()}
    for absent in ("yaml", "_yaml", "boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "bin"):
        assert absent not in top
    assert not [name for name in top if name.startswith(("pyyaml-", "botocore-", "phonenumbers-"))]
    assert any(name.startswith("phonenumberslite-") for name in top)
    for dead in ("geodata", "carrierdata", "tzdata"):
        assert not (bundle / "phonenumbers" / dead).exists()
    leftovers = [p for p in bundle.rglob("*") if p.suffix in {".pyi", ".typed"} or p.name in {"tests", "test"}]
    assert leftovers == []
    assert json.loads((bundle / "routing" / "baked" / "config.json").read_text())["version"].startswith("baked-")


def _third_party_imports() -> set[str]:
    """Top-level names of every import statement anywhere in lambdas/ (lazy ones inside functions included)."""
    names: set[str] = set()
    for path in LAMBDAS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"__future__"}


@pytest.mark.slow
@pytest.mark.parametrize("handler", HANDLERS)
def test_every_handler_imports_from_the_bundle_alone(bundle: Path, runtime: str, handler: str) -> None:
    # Only the bundle and what the Lambda runtime provides are on sys.path (-I -S: no venv, no repo, no PYTHONPATH).
    lazy = sorted(_third_party_imports() - NOT_SHIPPED)
    script = (
        f"import importlib, sys; sys.path[:0] = [{str(bundle)!r}, {runtime!r}]\n"
        f"import {handler}.handler\n"
        f"for name in {lazy!r}: importlib.import_module(name)\n"
        "print(sorted({m.__file__.split('/')[len(" + repr(str(bundle)) + ".split('/'))] "
        "for m in list(sys.modules.values()) if (getattr(m, '__file__', None) or '').startswith("
        + repr(str(bundle))
        + ")}))"
    )
    shipped_from = run_isolated(script, isolated_env())
    assert f"'{handler}'" in shipped_from
    assert "'routing'" in shipped_from


def test_yaml_is_read_only_where_no_function_calls() -> None:
    # The one YAML reader is routing.config.loader.load_directory (its parser lives in safe_yaml); no function
    # (handler or what it reaches) calls it.
    importers = [p for p in LAMBDAS.rglob("*.py") if "import yaml" in p.read_text(encoding="utf-8")]
    assert sorted(p.relative_to(LAMBDAS).as_posix() for p in importers) == [
        "routing/config/loader.py",
        "routing/config/safe_yaml.py",
    ]
    callers = [
        p.relative_to(LAMBDAS).as_posix()
        for p in LAMBDAS.rglob("*.py")
        if "load_directory(" in p.read_text(encoding="utf-8")
    ]
    assert callers == ["routing/config/loader.py"]


@pytest.mark.slow
def test_the_first_route_decision_comes_from_the_bundle_with_no_store_and_no_config_libraries(
    bundle: Path, runtime: str
) -> None:
    from trunkline.contacts import connect_event

    document: dict[str, Any] = bake_config().document
    entry = next(e for e in document["entry_points"].values() if e.get("dialed_number"))
    event = connect_event(dialed=entry["dialed_number"], caller="+12125550123")
    script = (
        f"import json, sys; sys.path[:0] = [{str(bundle)!r}, {runtime!r}]\n"
        "import route.handler\n"
        f"reply = route.handler.lambda_handler(json.loads({json.dumps(event)!r}), None)\n"
        "print(json.dumps([reply['config_source'], sorted({m.split('.')[0] for m in sys.modules} "
        "& {'yaml', 'pydantic', 'pynamodb'})]))"
    )
    source, heavy = json.loads(run_isolated(script, isolated_env()))
    # The config libraries are the publisher's, not the route path's (each costs tens of ms of cold start).
    assert (source, heavy) == ("baked", [])


def test_no_interpreter_of_another_version_is_ever_used_for_bytecode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(INTERPRETER_ENV, sys.executable)  # a wrong version named explicitly is refused too
    elsewhere = BundleTarget("3.99", ("manylinux2014_x86_64",))
    assert find_interpreter(elsewhere) is None
    monkeypatch.delenv(INTERPRETER_ENV)
    assert find_interpreter(host_target()) == sys.executable
    with pytest.raises(BundlingError, match="refusing pycs of another version"):
        build_bundle(tmp_path / "out", {}, target=elsewhere, interpreter=sys.executable)
    assert not (tmp_path / "out").exists()


def test_a_bundle_without_bytecode_is_another_asset_and_synth_says_so_loudly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    baked = bake_config()
    assert package_hash(baked, bytecode=True) != package_hash(baked, bytecode=False)
    built: list[str | None] = []
    monkeypatch.setattr(bundling, "build_bundle", lambda *_, **kw: built.append(kw["interpreter"]))
    assert LocalPythonBundler(baked, interpreter=None).try_bundle(str(tmp_path), None)
    assert built == [None]
    assert f"no Python {LAMBDA_TARGET.python_version} interpreter found" in capsys.readouterr().err
