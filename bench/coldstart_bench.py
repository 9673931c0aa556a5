"""Cold start as Lambda runs it: the package built exactly as synth builds it (``build_bundle``, for this machine's
interpreter so it can run here), measured in fresh interpreters that see only the bundle and what the Lambda
runtime provides (boto3/botocore and their dependencies, linked from the venv) — against ``import boto3`` in the
same run. Also the package's size, unpacked and zipped.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# What the Lambda Python runtime puts on sys.path after /var/task: the AWS SDK and its dependencies.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py")

BOTO3_SCRIPT = """
import sys, time
sys.path[:0] = [{runtime!r}]
t = time.perf_counter()
import boto3
print((time.perf_counter() - t) * 1000)
"""

# Everything a cold container does before its first answer: import the handler, build the service (settings,
# store, cache), load and compile the baked config, decide. Logs go to a pipe, as Lambda's go to its log agent.
# Retry back-off sleeps (botocore's, against the refused store) are summed apart: they are the retry policy's
# cost, not the imports'.
COLD_SCRIPT = """
import json, sys, time
sys.path[:0] = [{bundle!r}, {runtime!r}]
event = json.loads({event!r})
slept = [0.0]
_sleep = time.sleep
def _counted(seconds):
    slept[0] += seconds
    _sleep(seconds)
time.sleep = _counted
t = time.perf_counter()
import route.handler
reply = route.handler.lambda_handler(event, None)
elapsed = (time.perf_counter() - t) * 1000
assert reply["config_source"] == "baked", reply
# Imported by no route decision: their presence here would be a cold-start regression. (phonenumbers is not in
# the list: init loads it when a rule reads caller_country, so that no caller's first call pays for it.)
leaked = sorted({{m.split(".")[0] for m in sys.modules}} & {{"yaml", "pydantic"}})
print(json.dumps({{"ms": elapsed, "retry_sleep_ms": slept[0] * 1000, "leaked": leaked}}))
"""


def runtime_dir(into: Path) -> Path:
    """A directory holding only what the Lambda runtime provides, linked from this venv's site-packages."""
    site = Path(sysconfig.get_paths()["purelib"])
    into.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_PACKAGES:
        if (site / name).exists():
            (into / name).symlink_to(site / name)
    return into


def isolated_env(**extra: str) -> dict[str, str]:
    """A Lambda-like environment: region and (fake) credentials in env, no metadata service, nothing inherited."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_EC2_METADATA_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "route",
        "POWERTOOLS_METRICS_NAMESPACE": "Trunkline",
        "DEFAULT_QUEUE_ID": "fallback",
    }
    env.update(extra)
    return env


def run_isolated(script: str, env: dict[str, str]) -> str:
    """The last stdout line of ``script`` in a fresh interpreter that sees neither the venv nor the repo
    (``-I -S``: no site-packages, no PYTHONPATH, no user site) and, like Lambda in its read-only ``/var/task``,
    writes no bytecode (``-B``: else a source-only bundle would be compiled by its first run and measured warm)."""
    run = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", script], capture_output=True, text=True, check=False, env=env, cwd="/"
    )
    if run.returncode != 0:
        raise RuntimeError(f"isolated run failed:\n{run.stderr[-3000:]}")
    return run.stdout.strip().splitlines()[-1]


def refused_endpoint() -> str:
    """An HTTP endpoint on this machine where nothing listens: every connection is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    values = [float(row["ms"]) for row in rows]
    result: dict[str, Any] = {"best_ms": round(min(values), 1), "median_ms": round(statistics.median(values), 1)}
    if "leaked" in rows[0]:
        result["retry_sleep_median_ms"] = round(statistics.median(float(r["retry_sleep_ms"]) for r in rows), 1)
        result["imports_not_in_bundle_path"] = sorted({name for row in rows for name in row["leaked"]})
    return result


def sample_interleaved(cases: dict[str, tuple[str, dict[str, str]]], runs: int) -> dict[str, dict[str, Any]]:
    """Run every case once per round, ``runs`` rounds: a load spike on this shared machine then hits every case
    alike, so the ratios hold even when the absolute figures drift."""
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, (script, env) in cases.items():
            out = run_isolated(script, env)
            rows[name].append(json.loads(out) if out.startswith("{") else {"ms": float(out)})
    return {name: _summary(found) for name, found in rows.items()}


def bundle_size(bundle: Path) -> dict[str, float]:
    """Unpacked bytes and a deflate zip of the bundle (what Lambda downloads), in MB."""
    files = [p for p in sorted(bundle.rglob("*")) if p.is_file()]
    unpacked = sum(p.stat().st_size for p in files)
    with tempfile.TemporaryFile() as handle:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            for path in files:
                archive.write(path, path.relative_to(bundle).as_posix())
        zipped = handle.tell()
    return {"files": len(files), "unpacked_mb": round(unpacked / 1e6, 1), "zipped_mb": round(zipped / 1e6, 1)}


def _event() -> str:
    from routing.config.loader import load_directory
    from trunkline.contacts import connect_event

    document = load_directory(ROOT / "config").document
    assert document is not None
    entry = next(e for e in document["entry_points"].values() if e.get("dialed_number"))
    return json.dumps(connect_event(dialed=entry["dialed_number"], caller="+12125550123"))


def run_coldstart_bench(runs: int = 9) -> dict[str, Any]:
    """Build the bundle twice (with and without bytecode) and time ``import boto3`` and the cold path in it."""
    from stacks.constructs.bundle_build import build_bundle, host_target
    from stacks.constructs.bundling import bake_config

    target = host_target()
    payload = bake_config().payload()
    event = _event()
    results: dict[str, Any] = {"runs": runs, "target": target.cache_tag}
    with tempfile.TemporaryDirectory(prefix="trunkline-coldstart-") as tmp:
        runtime = str(runtime_dir(Path(tmp) / "runtime"))
        bundles = {"bytecode": Path(tmp) / "with-pyc", "source_only": Path(tmp) / "source-only"}
        for name, path in bundles.items():
            interpreter = sys.executable if name == "bytecode" else None
            build_bundle(path, payload, target=target, interpreter=interpreter)
        cases = {"import_boto3": (BOTO3_SCRIPT.format(runtime=runtime), isolated_env())}
        refused = {"CONFIG_TABLE_NAME": "trunkline-config", "AWS_ENDPOINT_URL_DYNAMODB": refused_endpoint()}
        for name, path in bundles.items():
            script = COLD_SCRIPT.format(bundle=str(path), runtime=runtime, event=event)
            cases[f"{name}/table_unset"] = (script, isolated_env())
            cases[f"{name}/store_refused"] = (script, isolated_env(**refused))
            results[f"size/{name}"] = bundle_size(path)
        measured = sample_interleaved(cases, runs)
        boto3 = measured.pop("import_boto3")
        results["import_boto3"] = boto3
        for name, row in measured.items():
            row["over_boto3_best"] = round(row["best_ms"] / boto3["best_ms"], 2)
            row["over_boto3_median"] = round(row["median_ms"] / boto3["median_ms"], 2)
            results[name] = row
    return results


def print_coldstart(r: dict[str, Any]) -> None:
    """The table ``python -m bench`` prints."""
    b = r["import_boto3"]
    print(f"\n== cold start in the bundle layout ({r['target']}, fresh interpreters, best/median of {r['runs']}) ==")
    print(f"import boto3 (runtime-provided)            {b['best_ms']:>7} / {b['median_ms']:>7} ms")
    for key, row in r.items():
        if "/" in key and not key.startswith("size/"):
            print(
                f"{key:<42} {row['best_ms']:>7} / {row['median_ms']:>7} ms  "
                f"x{row['over_boto3_best']} / x{row['over_boto3_median']} of boto3  "
                f"(retry sleeps {row['retry_sleep_median_ms']} ms)"
            )
    for key, row in r.items():
        if key.startswith("size/"):
            print(f"{key:<42} {row['unpacked_mb']} MB unpacked, {row['zipped_mb']} MB zipped, {row['files']} files")
