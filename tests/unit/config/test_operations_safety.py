"""Issue 13's CLI defects, fixed in the library every path uses (publishing, ownership, diff)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from routing.config.diff import Change, diff_documents, split_path
from routing.config.loader import load_directory
from routing.config.memory_store import InMemoryConfigStore
from routing.config.publishing import (
    EngineeringOwnedError,
    StalePublishError,
    publish_document,
    publish_from_deploy,
    rollback,
)
from tests.conftest import shared

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope=shared("module"))
def _git_doc_once() -> dict[str, Any]:
    doc = load_directory(ROOT / "config").document
    assert doc is not None
    return doc


@pytest.fixture
def git_doc(_git_doc_once: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(_git_doc_once)


def _with_storm(doc: dict[str, Any], on: bool = True) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    out["schedules"]["cards_hours"]["emergency_closures"][0]["active"] = on
    return out


def test_a_stale_publish_is_refused_with_the_changes_it_would_undo(git_doc: dict[str, Any]) -> None:
    # Given alice and bob both start from v1, and bob publishes a closure
    store = InMemoryConfigStore()
    publish_document(store, git_doc, actor="a", summary="v1", base_version=None)
    publish_document(store, _with_storm(git_doc), actor="bob", summary="storm on", base_version="v000001")
    # When alice publishes her unrelated change from her stale copy of v1
    alice = copy.deepcopy(git_doc)
    alice["queues"]["cards_general"]["capacity"] = 77
    with pytest.raises(StalePublishError) as raised:
        publish_document(store, alice, actor="alice", summary="capacity", base_version="v000001")
    # Then it is refused, with bob's change named, and nothing is written
    assert raised.value.active_version == "v000002"
    assert [c.path for c in raised.value.changes] == [
        "schedules[cards_hours].emergency_closures[severe_weather].active"
    ]
    assert [v.version_id for v in store.list_versions()] == ["v000001", "v000002"]
    assert store.load_document("v000002")["schedules"]["cards_hours"]["emergency_closures"][0]["active"] is True


def test_files_still_holding_a_rolled_back_closure_cannot_reclose_the_line(git_doc: dict[str, Any]) -> None:
    # Given a closure published as v2 from v1, then rolled back to v1
    store = InMemoryConfigStore()
    publish_document(store, git_doc, actor="a", summary="v1", base_version=None)
    publish_document(store, _with_storm(git_doc), actor="ops", summary="storm", base_version="v000001")
    rollback(store, actor="ops", to_version="v000001", reason="storm over")
    # When the author's files (closure still on, started from v2) are published for an unrelated change
    files = _with_storm(git_doc)
    files["defaults"]["closed_message"] = "new closed message"
    # Then it is refused: the active version moved (the rollback), so the closure cannot sneak back in
    with pytest.raises(StalePublishError, match="active version is v000001"):
        publish_document(store, files, actor="ops", summary="message", base_version="v000002")
    assert store.pointer is not None
    assert store.pointer.version_id == "v000001"


def test_publishing_on_the_current_base_succeeds(git_doc: dict[str, Any]) -> None:
    store = InMemoryConfigStore()
    publish_document(store, git_doc, actor="a", summary="v1", base_version=None)
    out = publish_document(store, _with_storm(git_doc), actor="ops", summary="storm", base_version="v000001")
    assert out.status == "PUBLISHED"
    with pytest.raises(StalePublishError, match="not \\(none\\)"):
        publish_document(store, git_doc, actor="ops", summary="again", base_version=None)


def test_a_structural_change_outside_a_deploy_is_refused_unless_forced(git_doc: dict[str, Any]) -> None:
    store = InMemoryConfigStore()
    publish_document(store, git_doc, actor="a", summary="v1")
    changed = copy.deepcopy(git_doc)
    changed["lines_of_business"]["travel"] = {"key": "travel", "name": "Travel"}
    with pytest.raises(EngineeringOwnedError, match=r"lines_of_business\[travel\]"):
        publish_document(store, changed, actor="ops", summary="new lob", engineering="refuse")
    assert len(store.list_versions()) == 1  # nothing written
    forced = publish_document(store, changed, actor="ops", summary="new lob", engineering="force")
    assert forced.status == "PUBLISHED"
    assert store.list_audit()[0].detail.startswith("FORCED: 1 engineering-owned change(s)")
    # an operations-owned change passes the same check
    ops = _with_storm(changed)
    assert publish_document(store, ops, actor="ops", summary="storm", engineering="refuse").status == "PUBLISHED"


def test_a_deploy_that_overrides_a_live_structural_change_says_so_loudly(git_doc: dict[str, Any]) -> None:
    # Given a deploy, then operations force a new line of business live
    store = InMemoryConfigStore()
    publish_from_deploy(store, git_doc, deployment="build-1")
    live = copy.deepcopy(git_doc)
    live["lines_of_business"]["travel"] = {"key": "travel", "name": "Travel"}
    publish_document(store, live, actor="ops", summary="travel", engineering="force")
    # When the next deploy (git without it) runs
    result = publish_from_deploy(store, git_doc, deployment="build-2")
    # Then it does not claim "no operations changes to keep": it names what it overrides, result and audit alike
    assert result.overridden == ["lines_of_business[travel]"]
    detail = store.list_audit()[0].detail
    assert "no operations changes to keep" not in detail
    assert "WARNING: OVERRIDES 1 live change(s) not in git: lines_of_business[travel]" in detail
    assert store.list_audit()[0].changes[0]["path"] == "lines_of_business[travel]"


def test_a_deploy_keeping_operations_changes_overrides_nothing(git_doc: dict[str, Any]) -> None:
    store = InMemoryConfigStore()
    publish_from_deploy(store, git_doc, deployment="build-1")
    publish_document(store, _with_storm(git_doc), actor="ops", summary="storm", base_version="v000001")
    result = publish_from_deploy(store, git_doc, deployment="build-2")
    assert result.overridden == []
    assert result.kept_operations_changes == ["schedules.cards_hours.emergency_closures"]


def test_list_diffs_are_per_item_and_per_field(git_doc: dict[str, Any]) -> None:
    after = copy.deepcopy(git_doc)
    after["schedules"]["cards_hours"]["holidays"].insert(0, {"date": "2026-07-04", "name": "Independence Day"})
    after["schedules"]["cards_hours"]["holidays"][2]["name"] = "Christmas Eve (half day)"
    after = _with_storm(after)
    changes = diff_documents(git_doc, after)
    assert changes == [
        Change("schedules[cards_hours].emergency_closures[severe_weather].active", "changed", before=False, after=True),
        Change(
            "schedules[cards_hours].holidays[2026-07-04]",
            "added",
            after={"date": "2026-07-04", "name": "Independence Day"},
        ),
        Change(
            "schedules[cards_hours].holidays[2026-12-24].name",
            "changed",
            "Christmas Eve",
            "Christmas Eve (half day)",
        ),
    ]
    assert str(changes[2]) == '~ schedules[cards_hours].holidays[2026-12-24].name: "Christmas Eve" -> ' + (
        '"Christmas Eve (half day)"'
    )


def test_rules_are_matched_by_id_not_position() -> None:
    before = {"rulesets": {"r": {"rules": [{"id": "a", "x": 1}, {"id": "b", "x": 2}]}}}
    after = {"rulesets": {"r": {"rules": [{"id": "b", "x": 2}, {"id": "a", "x": 3}]}}}
    assert diff_documents(before, after) == [Change("rulesets[r].rules[a].x", "changed", 1, 3)]


@pytest.mark.parametrize(
    ("path", "parts"),
    [
        ("schedules[cards_hours].holidays[2026-12-25].name", ("schedules", "cards_hours", "holidays")),
        ("defaults.closed_message", ("defaults", None, "closed_message")),
        ("queues[q1]", ("queues", "q1", None)),
        ("queues[q.1].attributes.greeting", ("queues", "q.1", "attributes")),
        ("schema", ("schema", None, None)),
    ],
)
def test_split_path(path: str, parts: tuple[str, str | None, str | None]) -> None:
    assert split_path(path) == parts


def test_the_audit_records_before_after_and_whether_the_actor_was_verified(git_doc: dict[str, Any]) -> None:
    store = InMemoryConfigStore()
    publish_document(store, git_doc, actor="a", summary="v1")
    publish_document(store, _with_storm(git_doc), actor="cli:bob", summary="storm")
    rollback(store, actor="ann@example.com", to_version="v000001", reason="over", verified=True)
    rolled, published = store.list_audit()[:2]
    assert (published.actor, published.verified) == ("cli:bob", False)
    assert published.changes == (
        {
            "path": "schedules[cards_hours].emergency_closures[severe_weather].active",
            "kind": "changed",
            "before": False,
            "after": True,
        },
    )
    assert (rolled.actor, rolled.verified, rolled.detail) == ("ann@example.com", True, "over")
    assert rolled.changes[0]["before"] is True
    assert rolled.changes[0]["after"] is False
