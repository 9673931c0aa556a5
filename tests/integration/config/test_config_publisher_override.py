"""The deploy custom resource says so when it overrides a live change that is not in git (issue 13)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from config_publisher.handler import lambda_handler

from routing.config.loader import content_hash
from routing.config.publishing import publish_document
from routing.config.store import DynamoConfigStore


def test_a_deploy_reports_the_live_changes_it_overrides(
    dynamo_store: DynamoConfigStore,
    config_table: str,
    sample_document: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    lambda_logs: Any,
) -> None:
    baked = tmp_path / "baked.json"
    digest = content_hash(sample_document)
    baked.write_text(json.dumps({"document": sample_document, "content_hash": digest}), encoding="utf-8")
    monkeypatch.setenv("BAKED_CONFIG_PATH", str(baked))
    monkeypatch.setenv("CONFIG_TABLE_NAME", config_table)
    event = {"RequestType": "Create", "ResourceProperties": {"ContentHash": digest, "Deployment": "b1"}}
    first = lambda_handler(event, None)
    assert first["Data"]["OverriddenLiveChanges"] == "0"
    # operations force a new line of business live; git does not have it
    live = copy.deepcopy(sample_document)
    live["lines_of_business"]["travel"] = {"key": "travel", "name": "Travel"}
    publish_document(dynamo_store, live, actor="ops", summary="travel", engineering="force", base_version="v000001")
    second = lambda_handler({**event, "RequestType": "Update"}, None)
    assert second["Data"]["OverriddenLiveChanges"] == "1"
    assert "WARNING: OVERRIDES 1 live change(s)" in dynamo_store.list_audit(1)[0].detail
