"""``make mutation``: mutation testing of the core modules with mutmut (pinned in requirements-dev.txt).

Not part of ``make test``: it runs the unit tests (not the slow-marked fuzz runs) once per mutant (minutes per
module). It prints the score per module and every surviving mutant with its diff, and writes ``bench/mutation.json``.

Why a staging folder: mutmut names a mutant after its file path (``lambdas/routing/route/rules.py`` →
``lambdas.routing.route.rules``) and activates it only when the running module has that name, but our code imports as
``routing.route.rules`` (``lambdas/`` is on the path, as in the Lambda bundle). So the run copies ``lambdas/routing`` to
``.mutation/routing`` with the tests, config and local tools beside it, and runs mutmut there.

Equivalent mutants: a survivor judged equivalent (no test could tell it from the original, e.g. a default on a
Protocol stub, a fallback no input reaches) is listed in ``bench/mutation_equivalent.toml`` with the reason, keyed by
its module, function and changed lines (not by mutmut's number, which moves when the function changes). The score is
killed / (mutants - equivalent); an entry that matches no survivor any more is reported as stale.

Usage: ``python -m bench.mutation [MODULE ...]`` (paths under ``routing/``, e.g. ``route/rules.py``; default: the
core set); ``python -m bench.mutation --report`` judges and records the last run again without running it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGE = ROOT / ".mutation"
RESULTS = Path(__file__).with_name("mutation.json")
JUDGED = Path(__file__).with_name("mutation_equivalent.toml")
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
# -k matches substrings of test and module names: "test_cli" and "cli_command" (not a bare "cli", which also took
# every test about "clients", the SnapStart restore tests among them).
DESELECT = "not no_raw and not raw_number and not test_cli and not cli_command"
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
# MUTATION_TEST_DIRS (space-separated) narrows them for a quicker run, e.g. "tests/unit" for the route modules.
TEST_DIRS = os.environ.get("MUTATION_TEST_DIRS", "tests/unit tests/integration").split()
UNCHECKED = frozenset({"not checked", "check was interrupted by user"})
STATUS_RE = re.compile(r"^\s*(routing\.[\w.ǁ]+__mutmut_\d+): (\w[\w ]*)$")


@dataclass(frozen=True, slots=True)
class Signature:
    """What a mutant changes, independent of mutmut's numbering: module, function, removed and added lines."""

    module: str
    function: str
    removed: tuple[str, ...]
    added: tuple[str, ...]


def signature(name: str, diff: str) -> Signature:
    """``routing.m.xǁClassǁmethod__mutmut_3`` / ``routing.m.x_func__mutmut_3`` and its diff → a ``Signature``
    (changed lines stripped of indentation, so a re-indented function keeps its judgments)."""
    module, _, rest = name.partition(".x")
    base = rest.rsplit("__mutmut_", 1)[0]  # "_func" (mutmut's "x_" prefix) or "ǁClassǁmethod"
    function = base[1:].replace("ǁ", ".")
    lines = [line for line in diff.splitlines() if not line.startswith(("---", "+++"))]
    removed = tuple(line[1:].strip() for line in lines if line.startswith("-"))
    added = tuple(line[1:].strip() for line in lines if line.startswith("+"))
    return Signature(module, function, removed, added)


def load_judged(path: Path = JUDGED) -> dict[Signature, str]:
    """The judged-equivalent mutants: signature → why no test can kill it."""
    if not path.exists():
        return {}
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("equivalent", [])
    judged: dict[Signature, str] = {}
    for entry in entries:
        sig = Signature(entry["module"], entry["function"], tuple(entry["removed"]), tuple(entry["added"]))
        judged[sig] = entry["why"]
    return judged


def score(statuses: dict[str, str], equivalent: set[str]) -> tuple[int, int, float]:
    """(killed, counted, killed / counted): equivalent survivors are not counted."""
    counted = [n for n in statuses if n not in equivalent]
    killed = sum(1 for n in counted if statuses[n] == "killed")
    return killed, len(counted), (killed / len(counted) if counted else 0.0)


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


def _judge(statuses: dict[str, str]) -> tuple[dict[str, str], dict[str, str], list[Signature]]:
    """Survivors' diffs, the judged-equivalent ones with the reason, and the judgments that matched nothing."""
    judged = load_judged()
    diffs: dict[str, str] = {}
    equivalent: dict[str, str] = {}
    used: set[Signature] = set()
    for name in sorted(n for n, s in statuses.items() if s != "killed"):
        diff = _mutmut("show", name).stdout.strip()
        sig = signature(name, diff)
        if sig in judged:
            equivalent[name] = judged[sig]
            used.add(sig)
        else:
            diffs[name] = diff
    run_modules = {n.split(".x", 1)[0] for n in statuses}
    stale = [sig for sig in judged if sig.module in run_modules and sig not in used]
    return diffs, equivalent, stale


def _print(per_module: dict[str, Counter[str]], diffs: dict[str, str], equivalent: dict[str, str]) -> None:
    print(f"\n{'module':<28} {'mutants':>8} {'equiv.':>7} {'killed':>7} {'score':>7}")
    for module, counts in sorted(per_module.items()):
        total, equal = sum(counts.values()) - counts["not checked"], counts["equivalent"]
        counted = total - equal
        print(f"{module:<28} {total:>8} {equal:>7} {counts['killed']:>7} {counts['killed'] / max(1, counted):>7.1%}")
    for name, why in equivalent.items():
        print(f"--- {name} (equivalent: {why})")
    for name, diff in diffs.items():
        print(f"--- {name}\n{diff}\n")


def _record(per_module: dict[str, Counter[str]], diffs: dict[str, str], equivalent: dict[str, str]) -> float:
    """Merge this run into bench/mutation.json (runs are per module set: other modules keep their last results)."""
    previous = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    merged = {m: c for m, c in previous.get("modules", {}).items() if m not in per_module}
    merged.update({m: dict(c) for m, c in per_module.items()})

    def others(kind: str) -> dict[str, str]:
        return {n: d for n, d in previous.get(kind, {}).items() if n.split(".x", 1)[0] not in per_module}

    total = sum(sum(c.values()) - c.get("not checked", 0) for c in merged.values())
    killed = sum(c.get("killed", 0) for c in merged.values())
    counted = total - sum(c.get("equivalent", 0) for c in merged.values())
    result = round(killed / counted, 4) if counted else 0.0
    document = {
        "modules": dict(sorted(merged.items())),
        "mutants": total,
        "equivalent_mutants": total - counted,
        "killed": killed,
        "score": result,
        "score_means": "killed / (mutants - judged equivalent); judgments in bench/mutation_equivalent.toml",
        "survivors": dict(sorted((others("survivors") | diffs).items())),
        "equivalent": dict(sorted((others("equivalent") | equivalent).items())),
    }
    RESULTS.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return result


def main(argv: list[str]) -> int:
    """Stage, run mutmut, judge the survivors, print and record the score."""
    if argv[:1] == ["--report"]:  # judge and record the last run again (after editing the judgments); no run
        if not STAGE.exists():
            print("no run to report on: run `make mutation` first", file=sys.stderr)
            return 2
    else:
        modules = argv or CORE
        _stage(modules)
        children = str(max(1, (os.cpu_count() or 2)))
        print(
            f"mutmut on {', '.join(modules)} ({' and '.join(TEST_DIRS)}, {children} workers) — this takes minutes",
            flush=True,
        )
        run = _mutmut("run", "--max-children", children)
        if run.returncode != 0:
            print(run.stdout[-3000:], run.stderr[-3000:], sep="\n", file=sys.stderr)
            return run.returncode
    listed = _mutmut("results", "--all", "true")
    found = {m.group(1): m.group(2) for line in listed.stdout.splitlines() if (m := STATUS_RE.match(line))}
    # A run stopped early (--report on it) leaves mutants unchecked: they are left out and counted, never scored.
    statuses = {n: s for n, s in found.items() if s not in UNCHECKED}
    unchecked = Counter(n.split(".x", 1)[0] for n, s in found.items() if s in UNCHECKED)
    for module, count in sorted(unchecked.items()):
        print(f"{module}: {count} mutants not checked (the run was stopped): left out of the score")
    diffs, equivalent, stale = _judge(statuses)
    per_module: dict[str, Counter[str]] = {}
    for name, status in statuses.items():
        per_module.setdefault(name.split(".x", 1)[0], Counter())["equivalent" if name in equivalent else status] += 1
    for module, count in unchecked.items():
        per_module.setdefault(module, Counter())["not checked"] = count
    _print(per_module, diffs, equivalent)
    _, _, run_score = score(statuses, set(equivalent))
    on_record = _record(per_module, diffs, equivalent)
    print(f"this run: {run_score:.1%} of non-equivalent mutants killed; every module on record: {on_record:.1%}")
    for sig in stale:
        print(f"stale judgment (matches no survivor now; remove it): {sig.module} {sig.function} {sig.added}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
