"""A deploy merges with operations' run-time changes and never silently reverts them (routing.config.ownership)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from routing.config.loader import load_directory
from routing.config.memory_store import InMemoryConfigStore
from routing.config.ownership import OPERATIONS_FIELDS, merge_for_deploy
from routing.config.publishing import publish_document, publish_from_deploy
from tests.conftest import shared

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope=shared("module"))
def git_doc() -> dict[str, Any]:
    doc = load_directory(ROOT / "config").document
    assert doc is not None
    return doc


def _active(store: InMemoryConfigStore) -> dict[str, Any]:
    pointer = store.get_pointer()
    assert pointer is not None
    return store.load_document(pointer.version_id)


def _ops_switch_on_storm(store: InMemoryConfigStore) -> None:
    doc = _active(store)
    doc["schedules"]["cards_hours"]["emergency_closures"][0]["active"] = True
    publish_document(store, doc, actor="ops:alice", summary="storm closure on")


def test_first_deploy_publishes_git_document(git_doc: dict[str, Any]) -> None:
    store = InMemoryConfigStore()
    result = publish_from_deploy(store, git_doc, deployment="build-1")
    assert result.publish.status == "PUBLISHED"
    assert _active(store) == git_doc
    assert result.kept_operations_changes == []


def test_redeploy_of_same_git_keeps_operations_change(git_doc: dict[str, Any]) -> None:
    store = InMemoryConfigStore()
    publish_from_deploy(store, git_doc, deployment="build-1")
    _ops_switch_on_storm(store)
    result = publish_from_deploy(store, git_doc, deployment="build-2")
    assert result.publish.status == "UNCHANGED"
    assert _active(store)["schedules"]["cards_hours"]["emergency_closures"][0]["active"] is True


def test_deploy_with_git_changes_keeps_ops_change_across_two_deploys(git_doc: dict[str, Any]) -> None:
    # Given operations switched a closure on after build-1
    store = InMemoryConfigStore()
    publish_from_deploy(store, git_doc, deployment="build-1")
    _ops_switch_on_storm(store)
    # When git changes a rule (deploy-owned) and deploys twice
    changed = copy.deepcopy(git_doc)
    changed["rulesets"]["cards"]["default"]["priority"] = 4
    first = publish_from_deploy(store, changed, deployment="build-2")
    changed["rulesets"]["fraud"]["default"]["priority"] = 2
    second = publish_from_deploy(store, changed, deployment="build-3")
    # Then both git changes are live and the operations change survived both deploys
    active = _active(store)
    assert active["rulesets"]["cards"]["default"]["priority"] == 4
    assert active["rulesets"]["fraud"]["default"]["priority"] == 2
    assert active["schedules"]["cards_hours"]["emergency_closures"][0]["active"] is True
    assert first.kept_operations_changes == ["schedules.cards_hours.emergency_closures"]
    assert second.kept_operations_changes == ["schedules.cards_hours.emergency_closures"]
    assert "kept 1 operations change" in store.list_versions()[-1].summary


def test_conflict_keeps_operations_value_and_reports_it(git_doc: dict[str, Any]) -> None:
    store = InMemoryConfigStore()
    publish_from_deploy(store, git_doc, deployment="build-1")
    ops = _active(store)
    ops["queues"]["cards_general"]["attributes"]["greeting_prompt"] = "ops_greeting"
    publish_document(store, ops, actor="ops:bob", summary="new greeting")
    changed = copy.deepcopy(git_doc)
    changed["queues"]["cards_general"]["attributes"]["greeting_prompt"] = "git_greeting"
    result = publish_from_deploy(store, changed, deployment="build-2")
    assert result.conflicts == ["queues.cards_general.attributes"]
    assert _active(store)["queues"]["cards_general"]["attributes"]["greeting_prompt"] == "ops_greeting"


def test_operations_change_to_deploy_owned_field_is_replaced_by_git(git_doc: dict[str, Any]) -> None:
    # Rules are deploy-owned: an out-of-band edit is replaced by what git says (the runbook forbids it).
    store = InMemoryConfigStore()
    publish_from_deploy(store, git_doc, deployment="build-1")
    ops = _active(store)
    ops["rulesets"]["cards"]["default"]["queue"] = "retention"
    publish_document(store, ops, actor="ops:eve", summary="edit a rule")
    result = publish_from_deploy(store, git_doc, deployment="build-2")
    assert result.publish.status == "PUBLISHED"
    assert _active(store)["rulesets"]["cards"]["default"]["queue"] == "cards_general"


def test_git_change_flows_when_operations_did_not_touch_the_field(git_doc: dict[str, Any]) -> None:
    store = InMemoryConfigStore()
    publish_from_deploy(store, git_doc, deployment="build-1")
    changed = copy.deepcopy(git_doc)
    changed["queues"]["cards_general"]["attributes"]["greeting_prompt"] = "git_greeting"
    result = publish_from_deploy(store, changed, deployment="build-2")
    assert result.kept_operations_changes == []
    assert _active(store)["queues"]["cards_general"]["attributes"]["greeting_prompt"] == "git_greeting"


def test_items_exist_because_git_says_so(git_doc: dict[str, Any]) -> None:
    # A queue deleted in git goes away even if operations had tuned its attributes.
    base = git_doc
    theirs = copy.deepcopy(git_doc)
    theirs["queues"]["retention"]["attributes"]["greeting_prompt"] = "tuned"
    ours = copy.deepcopy(git_doc)
    del ours["queues"]["retention"]
    merged, report = merge_for_deploy(base, ours, theirs)
    assert "retention" not in merged["queues"]
    assert report.kept == []


def test_operations_fields_are_real_schema_fields() -> None:
    from routing.config.schema import SECTION_MODELS, Defaults

    for section, name in OPERATIONS_FIELDS:
        model = Defaults if section == "defaults" else SECTION_MODELS[section]
        assert name in model.model_fields, f"{section}.{name} is not a field of {model.__name__}"
