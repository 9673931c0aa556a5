"""Compile time of a config version: 5,000 rules spread over 20 rulesets, and 10,000 rules in one ruleset.

Compile is paid once per version per container (inside the first call after a publish, or at init when the handler
compiles eagerly), so it must fit the flow's 3 s invoke budget with room to spare: the target is < 0.3 s for both.
Measured on the already-validated document (validation runs at publish time, never in the Lambda).
"""

from __future__ import annotations

import json
import time
from typing import Any


def _best_compile_s(document: dict[str, Any], runs: int = 3) -> float:
    from routing.engine import CompiledConfig

    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        compiled = CompiledConfig.compile(document, version="bench")
        precompile = getattr(compiled, "precompile", None)  # every ruleset, as the eager init path does
        if precompile is not None:
            precompile()
        best = min(best, time.perf_counter() - t)
    return best


def run_compile_bench() -> dict[str, Any]:
    """Best-of-3 eager compile (every ruleset built) of both shapes, in seconds, and per rule in µs."""
    from trunkline.generate import generate_config

    spread = generate_config(queues=600, rules=5000, lines_of_business=20)
    single = generate_config(queues=600, rules=10_000, lines_of_business=1)
    out: dict[str, Any] = {}
    for label, doc, rules in (("5000_rules_20_rulesets", spread, 5000), ("10000_rules_1_ruleset", single, 10_000)):
        seconds = _best_compile_s(doc)
        out[label] = {"seconds": round(seconds, 3), "us_per_rule": round(seconds / rules * 1e6, 1)}
    return out


if __name__ == "__main__":
    print(json.dumps(run_compile_bench(), indent=2))
