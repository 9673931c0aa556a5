"""The repository's flow scenarios (``tests/flows/flow_scenarios.py``) as Connect test cases.

Each scenario is run through the simulator exactly as the flow tests run it; the exported case is built from that
run (``trunkline.connect_tests.export_case``), so the simulator and the real-instance tests cannot drift apart.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from trunkline.connect_tests import ExportedCase, Skipped, export_case

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS_MODULE = "tests.flows.flow_scenarios"


def config_queue_ids(config_dir: Path = ROOT / "config") -> dict[str, str]:
    """Queue key → Connect queue id, from the validated config directory."""
    from routing.config.loader import ConfigInvalidError, load_directory

    result = load_directory(config_dir)
    if not result.ok or result.document is None:
        raise ConfigInvalidError(list(result.issues))
    queues = result.document["queues"]
    records = queues.values() if isinstance(queues, Mapping) else queues
    return {str(q["key"]): str(q["queue_id"]) for q in records}


def scenarios_module() -> Any:
    """The scenario module (imported, never copied: the flows' tests own it)."""
    import sys

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module(SCENARIOS_MODULE)


def export_scenarios(config_dir: Path = ROOT / "config") -> tuple[list[ExportedCase], list[Skipped]]:
    """Every scenario of every flow, run and exported: (test cases, scenarios only the simulator can prove)."""
    module = scenarios_module()
    functions = {arn: name for name, arn in module.TOKENS.items() if name.endswith("FunctionArn")}
    queue_ids = config_queue_ids(config_dir)
    flows = module.flows()
    cases: list[ExportedCase] = []
    skipped: list[Skipped] = []
    seen: set[str] = set()
    for scenario in module.all_scenarios():
        result, _ = module.run(scenario)
        if scenario.options is not None:
            name = f"{scenario.flow}-{scenario.name}"
            skipped.append(Skipped(name, "a simulator option models a Connect behaviour a test case cannot choose"))
            continue
        exported = export_case(
            name=scenario.name,
            flow=scenario.flow,
            flows=flows,
            contact=scenario.contact,
            result=result,
            attributes=scenario.attributes,
            functions=functions,
            queue_ids=queue_ids,
            default_queue_id=module.DEFAULT_QUEUE_ID,
        )
        if exported.name in seen:
            raise ValueError(f"two scenarios export as {exported.name!r}: names must stay unique in 100 characters")
        seen.add(exported.name)
        (cases if isinstance(exported, ExportedCase) else skipped).append(exported)  # type: ignore[arg-type]
    return cases, skipped
