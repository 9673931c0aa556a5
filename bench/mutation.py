"""``make mutation``: mutation testing of the core modules with mutmut (pinned in requirements-dev.txt).

Not part of ``make test``: it runs the unit tests (not the slow-marked fuzz runs) once per mutant (minutes per
module). It prints the score per module and every surviving mutant with its diff, and writes ``bench/mutation.json``.

Why a staging folder: mutmut names a mutant after its file path (``lambdas/routing/route/rules.py`` →
``lambdas.routing.route.rules``) and activates it only when the running module has that name, but our code imports as
``routing.route.rules`` (``lambdas/`` is on the path, as in the Lambda bundle). So the run copies ``lambdas/routing`` to
``.mutation/routing`` with the tests, config and local tools beside it, and runs mutmut there.

Usage: ``python -m bench.mutation [MODULE ...]`` (paths under ``routing/``, e.g. ``route/rules.py``; default: the
core set).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGE = ROOT / ".mutation"
RESULTS = Path(__file__).with_name("mutation.json")
CORE = [
    "route/rules.py",
    "route/conditions.py",
    "route/compiled.py",
    "route/engine.py",
    "callback/request.py",
    "callback/service.py",
    "route/schedule.py",
    "route/reply.py",
]
# Deselected under mutmut only: tests that scan captured output for raw phone numbers, and tests that run the CLI
# in-process. mutmut reruns pytest sessions in one process, so Powertools' handler can still point at a stream an
# earlier session closed ("I/O operation on closed file"; logging's error report then quotes the test's source
# line, which holds the number). They pass in every normal run; none of them is the only test of a core module.
DESELECT = "not no_raw and not raw_number and not cli"
# Not collected: tests of the repository itself rather than of a core module (the module map, the documented
# commands, the lock files, the browser), which read files the staging folder does not copy.
IGNORE = [
    "tests/unit/test_module_map.py",
    "tests/unit/tools/test_docs_commands.py",
    "tests/unit/tools/test_locks.py",
    "tests/browser",
]
# Unit tests first; the integration tests (moto, one fresh botocore session per test since the restructure) also
# run, because some core paths (the callback store's transactions) are exercised only there.
TEST_DIRS = ["tests/unit", "tests/integration"]
STATUS_RE = re.compile(r"^\s*(routing\.[\w.ǁ]+__mutmut_\d+): (\w[\w ]*)$")


def _stage(modules: list[str]) -> None:
    if STAGE.exists():
        shutil.rmtree(STAGE)
    STAGE.mkdir()
    shutil.copytree(ROOT / "lambdas" / "routing", STAGE / "routing", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("tests", "config", "trunkline", "contact_flows"):
        shutil.copytree(ROOT / name, STAGE / name, ignore=shutil.ignore_patterns("__pycache__", ".hypothesis"))
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    pyproject = pyproject.replace('pythonpath = ["lambdas", "."]', 'pythonpath = ["."]')
    only = ", ".join(f'"routing/{m}"' for m in modules)
    pyproject += (
        "\n[tool.mutmut]\n"
        'source_paths = ["routing"]\n'
        'also_copy = ["config/", "trunkline/", "contact_flows/"]\n'
        f"only_mutate = [{only}]\n"
        f"pytest_add_cli_args_test_selection = {json.dumps(TEST_DIRS)}\n"
        f'pytest_add_cli_args = ["-k", "{DESELECT}", "-m", "not slow", "-p", "no:cacheprovider", "-q", "--no-cov", '
        + ", ".join(f'"--ignore={path}"' for path in IGNORE)
        + "]\n"
    )
    (STAGE / "pyproject.toml").write_text(pyproject, encoding="utf-8")


def _mutmut(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the staged copy, never lambdas/
    exe = str(Path(sys.executable).with_name("mutmut"))
    return subprocess.run([exe, *args], cwd=STAGE, env=env, capture_output=True, text=True, check=False)


def main(argv: list[str]) -> int:
    """Stage, run mutmut, print and record the score and the survivors."""
    modules = argv or CORE
    _stage(modules)
    children = str(max(1, (os.cpu_count() or 2)))
    print(
        f"mutmut on {', '.join(modules)} (unit and integration tests, {children} workers) — this takes minutes",
        flush=True,
    )
    run = _mutmut("run", "--max-children", children)
    if run.returncode != 0:
        print(run.stdout[-3000:], run.stderr[-3000:], sep="\n", file=sys.stderr)
        return run.returncode
    listed = _mutmut("results", "--all", "true")
    statuses = {m.group(1): m.group(2) for line in listed.stdout.splitlines() if (m := STATUS_RE.match(line))}
    per_module: dict[str, Counter[str]] = {}
    for name, status in statuses.items():
        module = name.split(".x", 1)[0]
        per_module.setdefault(module, Counter())[status] += 1
    survivors = sorted(n for n, s in statuses.items() if s != "killed")
    killed = sum(1 for s in statuses.values() if s == "killed")
    print(f"\n{'module':<28} {'mutants':>8} {'killed':>7} {'score':>7}")
    for module, counts in sorted(per_module.items()):
        total = sum(counts.values())
        print(f"{module:<28} {total:>8} {counts['killed']:>7} {counts['killed'] / total:>7.1%}")
    score = killed / len(statuses) if statuses else 0.0
    print(f"{'all':<28} {len(statuses):>8} {killed:>7} {score:>7.1%}\n")
    diffs: dict[str, str] = {}
    for name in survivors:
        diffs[name] = _mutmut("show", name).stdout.strip()
        print(f"--- {name} ({statuses[name]})\n{diffs[name]}\n")
    # Runs are per module set: keep the other modules' last results, replace these modules'.
    previous = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    merged = {m: c for m, c in previous.get("modules", {}).items() if m not in per_module}
    merged.update({m: dict(c) for m, c in per_module.items()})
    kept = {n: d for n, d in previous.get("survivors", {}).items() if n.split(".x", 1)[0] not in per_module}
    kept.update(diffs)
    total = sum(sum(c.values()) for c in merged.values())
    all_killed = sum(c.get("killed", 0) for c in merged.values())
    RESULTS.write_text(
        json.dumps(
            {
                "modules": dict(sorted(merged.items())),
                "mutants": total,
                "killed": all_killed,
                "score": round(all_killed / total, 4) if total else 0.0,
                "survivors": dict(sorted(kept.items())),
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
