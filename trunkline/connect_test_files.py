"""Exported Connect test cases on disk (``connect_tests/``) and as ``CreateTestCase`` requests."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from trunkline.connect_tests import ExportedCase, Skipped


def write_cases(directory: Path, cases: list[ExportedCase], skipped: list[Skipped]) -> None:
    """One ``<name>.json`` per case, and ``skipped.json`` listing the scenarios only the simulator proves."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.json"):
        old.unlink()
    for case in cases:
        text = json.dumps(case.document(), indent=1, sort_keys=False) + "\n"
        (directory / f"{case.name}.json").write_text(text, encoding="utf-8")
    listing = {s.name: s.reason for s in skipped}
    (directory / "skipped.json").write_text(json.dumps(listing, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def load_cases(directory: Path) -> dict[str, dict[str, Any]]:
    """The exported cases of a directory, by name (``skipped.json`` excluded)."""
    return {
        p.stem: json.loads(p.read_text(encoding="utf-8"))
        for p in sorted(directory.glob("*.json"))
        if p.name != "skipped.json"
    }


def create_request(
    document: Mapping[str, Any], *, instance_id: str, values: Mapping[str, str], name_prefix: str = ""
) -> dict[str, Any]:
    """``CreateTestCase`` parameters for an exported case, every ``%Placeholder%`` replaced from ``values``
    (``InstanceArn``, ``DefaultQueueId``, ``RouteFunctionArn``, ``FlowArn:inbound``…); an unknown one raises."""
    text = json.dumps(document)
    for name, value in values.items():
        text = text.replace(f"%{name}%", value)
    left = sorted(set(re.findall(r"%[A-Za-z][A-Za-z0-9]*(?::[A-Za-z0-9_-]+)?%", text)))
    if left:
        raise ValueError(f"{document.get('Name')}: no value for {left}")
    filled = json.loads(text)
    request: dict[str, Any] = {
        "InstanceId": instance_id,
        "Name": f"{name_prefix}{filled['Name']}",
        "Description": filled["Description"],
        "EntryPoint": filled["EntryPoint"],
        "Content": json.dumps(filled["Content"], separators=(",", ":")),
        "Status": "PUBLISHED",  # only a published case runs; publishing validates the content
    }
    if "InitializationData" in filled:
        request["InitializationData"] = json.dumps(filled["InitializationData"], separators=(",", ":"))
    return request
