"""Publishing, rollback, retention, audit and diff (routing.config.publishing) over the in-memory store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from routing.config.loader import ConfigInvalidError, content_hash
from routing.config.memory_store import InMemoryConfigStore
from routing.config.publishing import (
    Change,
    PublishConflictError,
    RollbackError,
    apply_retention,
    diff_documents,
    next_version_id,
    publish_document,
    rollback,
)
from routing.config.store import Pointer, VersionConflictError, VersionInfo
from tests.conftest import changed_copy

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture
def store() -> InMemoryConfigStore:
    return InMemoryConfigStore()


def publish_versions(store: InMemoryConfigStore, document: dict[str, Any], count: int) -> None:
    """v000001 … v0000<count>, one day apart from T0, each with its own greeting."""
    for i in range(count):
        publish_document(
            store, changed_copy(document, f"g{i + 1}"), actor="alice", summary=f"v{i + 1}", now=T0 + i * DAY
        )


# --- publish -------------------------------------------------------------------------------------------------


def test_the_first_publish_is_v000001_and_active(store: InMemoryConfigStore, sample_document: dict[str, Any]) -> None:
    result = publish_document(store, sample_document, actor="alice", summary="initial", now=T0)
    assert (result.status, result.version_id, result.previous_version_id) == ("PUBLISHED", "v000001", None)
    assert result.content_hash == content_hash(sample_document)
    assert store.pointer == Pointer("v000001", None, 1, "2026-01-01T12:00:00.000000Z", "alice")
    info = store.get_version("v000001")
    assert info is not None
    assert (info.content_hash, info.published_by, info.summary, info.expires_at) == (
        result.content_hash,
        "alice",
        "initial",
        None,
    )
    assert info.chunk_count == len(store.chunks["v000001"][1])
    assert store.load_document("v000001") == sample_document


def test_a_changed_document_becomes_the_next_version(
    store: InMemoryConfigStore, sample_document: dict[str, Any]
) -> None:
    publish_document(store, sample_document, actor="alice", summary="v1")
    second = publish_document(store, changed_copy(sample_document, "new"), actor="bob", summary="v2")
    assert (second.status, second.version_id, second.previous_version_id) == ("PUBLISHED", "v000002", "v000001")
    assert store.pointer is not None
    assert (store.pointer.version_id, store.pointer.previous_version_id, store.pointer.revision) == (
        "v000002",
        "v000001",
        2,
    )
    loaded = store.load_document("v000002")
    assert loaded["queues"]["cards_general"]["attributes"]["greeting_prompt"] == "new"
    assert store.load_document("v000001") == sample_document  # versions are immutable


def test_publishing_the_active_content_again_changes_nothing(
    store: InMemoryConfigStore, sample_document: dict[str, Any]
) -> None:
    first = publish_document(store, sample_document, actor="alice", summary="v1")
    pointer, audit = store.pointer, list(store.audit)
    again = publish_document(store, sample_document, actor="bob", summary="again")
    assert (again.status, again.version_id, again.content_hash) == ("UNCHANGED", "v000001", first.content_hash)
    assert (store.pointer, store.audit, list(store.catalog)) == (pointer, audit, ["v000001"])


def test_content_of_an_older_version_is_a_new_version(
    store: InMemoryConfigStore, sample_document: dict[str, Any]
) -> None:
    # Only the *active* content is a no-op: going back to v1's content by publishing is a new, audited version.
    publish_document(store, sample_document, actor="a", summary="v1")
    publish_document(store, changed_copy(sample_document, "x"), actor="a", summary="v2")
    third = publish_document(store, sample_document, actor="a", summary="v1 again")
    assert (third.status, third.version_id) == ("PUBLISHED", "v000003")
    assert store.get_version("v000003").content_hash == store.get_version("v000001").content_hash  # type: ignore[union-attr]


def test_an_invalid_document_is_refused_and_nothing_is_written(
    store: InMemoryConfigStore, sample_document: dict[str, Any]
) -> None:
    broken = changed_copy(sample_document, "x")
    broken["queues"]["cards_general"]["hours"] = "no_such_schedule"
    with pytest.raises(ConfigInvalidError) as err:
        publish_document(store, broken, actor="a", summary="bad")
    assert any(i.path.endswith(".hours") and "unknown schedule" in i.message for i in err.value.issues)
    assert "unknown schedule 'no_such_schedule'" in str(err.value)
    assert (store.pointer, store.catalog, store.chunks, store.audit) == (None, {}, {}, [])


def test_an_invalid_document_leaves_the_active_version_alone(
    store: InMemoryConfigStore, sample_document: dict[str, Any]
) -> None:
    publish_document(store, sample_document, actor="a", summary="v1")
    before = (store.pointer, dict(store.catalog), list(store.audit))
    with pytest.raises(ConfigInvalidError):
        publish_document(store, {"schema": 1, "defaults": {}}, actor="a", summary="bad")
    assert (store.pointer, dict(store.catalog), list(store.audit)) == before


def test_the_published_document_is_the_normalized_one(
    store: InMemoryConfigStore, sample_document: dict[str, Any]
) -> None:
    # Given an edited document with a value the schema normalizes (whitespace is stripped)
    edited = changed_copy(sample_document, "  padded  ")
    result = publish_document(store, edited, actor="a", summary="s")
    stored = store.load_document(result.version_id)
    assert stored["queues"]["cards_general"]["attributes"]["greeting_prompt"] == "padded"
    assert result.content_hash == content_hash(stored)


# --- concurrency ---------------------------------------------------------------------------------------------


def test_a_stale_expected_revision_is_a_conflict(store: InMemoryConfigStore, sample_document: dict[str, Any]) -> None:
    publish_document(store, sample_document, actor="a", summary="v1")
    with pytest.raises(PublishConflictError, match="revision 1"):
        publish_document(store, changed_copy(sample_document, "x"), actor="editor", summary="s", expected_revision=0)
    assert list(store.catalog) == ["v000001"]  # nothing reserved
    ok = publish_document(store, changed_copy(sample_document, "x"), actor="editor", summary="s", expected_revision=1)
    assert ok.version_id == "v000002"


def test_expected_revision_zero_means_nothing_published_yet(
    store: InMemoryConfigStore, sample_document: dict[str, Any]
) -> None:
    assert publish_document(store, sample_document, actor="a", summary="s", expected_revision=0).version_id == "v000001"


class RacingStore(InMemoryConfigStore):
    """Another publisher acts between this publisher's reads and its writes."""

    def __init__(self, *, steal_ids: int = 0, flip_first: bool = False) -> None:
        super().__init__()
        self.steal_ids = steal_ids
        self.flip_first = flip_first

    def reserve_version(self, info: VersionInfo) -> None:
        if self.steal_ids > 0:
            self.steal_ids -= 1
            super().reserve_version(VersionInfo(info.version_id, "other", "rival", "t", "", 1, 1))
        super().reserve_version(info)

    def write_chunks(self, version_id: str, content_hash: str, chunks: Any) -> None:
        super().write_chunks(version_id, content_hash, chunks)
        if self.flip_first and self.pointer is not None:
            self.flip_first = False
            self.pointer = Pointer("v999999", None, self.pointer.revision + 1, "t", "rival")


def test_a_reserved_version_id_is_skipped(sample_document: dict[str, Any]) -> None:
    store = RacingStore(steal_ids=2)
    result = publish_document(store, sample_document, actor="a", summary="s")
    assert result.version_id == "v000003"  # v000001 and v000002 were taken by a rival
    assert store.get_version("v000001").published_by == "rival"  # type: ignore[union-attr]


def test_too_many_rivals_is_a_conflict(sample_document: dict[str, Any]) -> None:
    store = RacingStore(steal_ids=5)
    with pytest.raises(PublishConflictError, match="too many concurrent publishers"):
        publish_document(store, sample_document, actor="a", summary="s")
    assert store.pointer is None


def test_a_pointer_moved_by_a_rival_is_a_conflict_not_an_overwrite(sample_document: dict[str, Any]) -> None:
    store = RacingStore()
    publish_document(store, sample_document, actor="a", summary="v1")
    store.flip_first = True
    with pytest.raises(PublishConflictError):
        publish_document(store, changed_copy(sample_document, "x"), actor="a", summary="v2")
    assert store.pointer is not None
    assert (store.pointer.version_id, store.pointer.updated_by) == ("v999999", "rival")  # the rival's flip stands
    assert [a.action for a in store.audit] == ["publish"]  # no audit for a publish that did not happen


def test_the_in_memory_store_refuses_a_second_reservation(store: InMemoryConfigStore) -> None:
    info = VersionInfo("v000001", "h", "a", "t", "", 1, 1)
    store.reserve_version(info)
    with pytest.raises(VersionConflictError):
        store.reserve_version(info)


# --- rollback ------------------------------------------------------------------------------------------------


def test_rollback_to_the_previous_version(store: InMemoryConfigStore, sample_document: dict[str, Any]) -> None:
    publish_versions(store, sample_document, 2)
    result = rollback(store, actor="ops", to_version="v000001", reason="bad greeting", now=T0 + 5 * DAY)
    assert (result.status, result.version_id, result.previous_version_id) == ("ROLLED_BACK", "v000001", "v000002")
    assert result.content_hash == store.get_version("v000001").content_hash  # type: ignore[union-attr]
    assert store.pointer is not None
    assert (store.pointer.version_id, store.pointer.previous_version_id, store.pointer.updated_by) == (
        "v000001",
        "v000002",
        "ops",
    )


def test_a_second_rollback_without_a_version_does_not_toggle_back(
    store: InMemoryConfigStore, sample_document: dict[str, Any]
) -> None:
    # Given v2 active (say a closure switched on) rolled back to v1
    publish_versions(store, sample_document, 2)
    rollback(store, actor="ops", to_version="v000001", reason="closure off")
    # When someone repeats a plain rollback, Then it is refused: it used to flip forward to v2, closure on again
    with pytest.raises(RollbackError, match="name the version"):
        rollback(store, actor="ops", to_version="")
    assert store.pointer is not None
    assert store.pointer.version_id == "v000001"


def test_rollback_to_a_chosen_version(store: InMemoryConfigStore, sample_document: dict[str, Any]) -> None:
    publish_versions(store, sample_document, 4)
    result = rollback(store, actor="ops", to_version="v000002")
    assert (result.version_id, result.previous_version_id) == ("v000002", "v000004")
    assert store.pointer is not None
    assert store.pointer.version_id == "v000002"


@pytest.mark.parametrize(
    ("published", "to_version", "message"),
    [
        (0, "v000001", "nothing is published yet"),
        (1, "", "name the version"),
        (2, "v000009", "v000009 does not exist"),
        (2, "v000002", "v000002 is already active"),
    ],
)
def test_rollback_refusals(
    store: InMemoryConfigStore, sample_document: dict[str, Any], published: int, to_version: str, message: str
) -> None:
    publish_versions(store, sample_document, published)
    before = store.pointer
    with pytest.raises(RollbackError, match=message):
        rollback(store, actor="ops", to_version=to_version)
    assert store.pointer == before


def test_rollback_to_a_version_that_cannot_be_loaded_is_refused(
    store: InMemoryConfigStore, sample_document: dict[str, Any]
) -> None:
    publish_versions(store, sample_document, 2)
    del store.chunks["v000001"]  # e.g. still replicating, or its data expired
    with pytest.raises(RollbackError, match="v000001"):
        rollback(store, actor="ops", to_version="v000001")
    assert store.pointer is not None
    assert store.pointer.version_id == "v000002"


def test_rollback_conflicts_with_a_concurrent_flip(sample_document: dict[str, Any]) -> None:
    class FlipDuringRollback(InMemoryConfigStore):
        def set_expiry(self, version_id: str, expires_at: int | None) -> None:
            super().set_expiry(version_id, expires_at)
            if self.pointer is not None:  # a publisher flips between our read and our flip
                self.pointer = Pointer("v000002", "v000001", self.pointer.revision + 1, "t", "rival")

    store = FlipDuringRollback()
    publish_versions(store, sample_document, 2)
    with pytest.raises(PublishConflictError):
        rollback(store, actor="ops", to_version="v000001")


# --- retention -----------------------------------------------------------------------------------------------


def expiries(store: InMemoryConfigStore) -> dict[str, int | None]:
    return {v.version_id: v.expires_at for v in store.list_versions()}


def test_retention_expires_old_versions_but_never_active_or_previous(
    store: InMemoryConfigStore, sample_document: dict[str, Any]
) -> None:
    publish_versions(store, sample_document, 5)
    found = expiries(store)
    assert (found["v000005"], found["v000004"]) == (None, None)  # active, previous
    for i in (1, 2, 3):  # published at T0 + (i-1) days, kept 90 days
        assert found[f"v00000{i}"] == int((T0 + (i - 1) * DAY + 90 * DAY).timestamp())


def test_retention_days_are_configurable(store: InMemoryConfigStore, sample_document: dict[str, Any]) -> None:
    publish_versions(store, sample_document, 2)
    publish_document(
        store, changed_copy(sample_document, "z"), actor="a", summary="s", retention_days=7, now=T0 + 9 * DAY
    )
    assert expiries(store)["v000001"] == int((T0 + 7 * DAY).timestamp())


def test_rollback_clears_the_targets_expiry_and_the_next_publish_keeps_it_clear(
    store: InMemoryConfigStore, sample_document: dict[str, Any]
) -> None:
    publish_versions(store, sample_document, 4)
    assert expiries(store)["v000001"] is not None
    rollback(store, actor="ops", to_version="v000001")
    assert expiries(store)["v000001"] is None  # active again: never expires
    publish_document(store, changed_copy(sample_document, "after"), actor="a", summary="v5", now=T0 + 10 * DAY)
    found = expiries(store)
    assert (found["v000005"], found["v000001"]) == (None, None)  # active, previous
    assert found["v000004"] is not None  # the version rolled away from ages out now


def test_apply_retention_clears_a_stale_expiry_on_active_and_previous(
    store: InMemoryConfigStore, sample_document: dict[str, Any]
) -> None:
    publish_versions(store, sample_document, 2)
    store.set_expiry("v000002", 123)
    store.set_expiry("v000001", 456)
    expired = apply_retention(store, now=T0, retention_days=90)
    assert expired == []
    assert expiries(store) == {"v000001": None, "v000002": None}


def test_apply_retention_reports_only_changes(store: InMemoryConfigStore, sample_document: dict[str, Any]) -> None:
    publish_versions(store, sample_document, 3)
    assert apply_retention(store, now=T0, retention_days=90) == []  # v000001 already has its TTL
    assert apply_retention(store, now=T0, retention_days=30) == ["v000001"]


# --- audit ---------------------------------------------------------------------------------------------------


def test_publish_and_rollback_are_audited(store: InMemoryConfigStore, sample_document: dict[str, Any]) -> None:
    publish_document(store, sample_document, actor="alice", summary="initial", now=T0)
    publish_document(store, changed_copy(sample_document, "x"), actor="bob", summary="greeting", now=T0 + DAY)
    publish_document(store, changed_copy(sample_document, "x"), actor="carol", summary="same", now=T0 + 2 * DAY)
    rollback(store, actor="dave", to_version="v000001", reason="bad greeting", now=T0 + 3 * DAY)
    records = [(a.action, a.actor, a.from_version, a.to_version, a.detail) for a in store.list_audit()]
    assert records == [
        ("rollback", "dave", "v000002", "v000001", "bad greeting"),
        ("publish", "bob", "v000001", "v000002", "greeting"),
        ("publish", "alice", None, "v000001", "initial"),
    ]  # newest first; the UNCHANGED publish is not a change
    assert store.list_audit()[0].at == "2026-01-04T12:00:00.000000Z"
    assert len(store.list_audit(limit=1)) == 1


# --- version ids and diff ------------------------------------------------------------------------------------


def test_next_version_id() -> None:
    def info(version_id: str) -> VersionInfo:
        return VersionInfo(version_id, "h", "a", "t", "", 1, 1)

    assert next_version_id([]) == "v000001"
    assert next_version_id([info("v000001"), info("v000009"), info("v000003")]) == "v000010"
    assert next_version_id([info("vlegacy"), info("v000002")]) == "v000003"


def test_diff_documents() -> None:
    before = {"a": 1, "same": {"x": 1}, "gone": "x", "nested": {"k": "old", "list": [1, 2]}, "shape": {"m": 1}}
    after = {"a": 2, "same": {"x": 1}, "new": [1], "nested": {"k": "new", "list": [1, 2, 3]}, "shape": "flat"}
    changes = diff_documents(before, after)
    assert changes == [
        Change("a", "changed", 1, 2),
        Change("gone", "removed", before="x"),
        Change("nested[k]", "changed", "old", "new"),
        Change("nested[list]", "changed", [1, 2], [1, 2, 3]),  # lists without item keys are compared whole
        Change("new", "added", after=[1]),
        Change("shape", "changed", {"m": 1}, "flat"),
    ]
    assert [str(c) for c in changes[:3]] == ["~ a: 1 -> 2", '- gone: "x"', '~ nested[k]: "old" -> "new"']
    assert str(changes[4]) == "+ new: [1]"
    assert diff_documents(before, before) == []


def test_diff_shortens_long_values() -> None:
    (change,) = diff_documents({}, {"k": "x" * 500})
    text = str(change)
    assert text.startswith('+ k: "xxx')
    assert text.endswith("…")
    assert len(text) < 180


def test_diff_of_two_published_versions_names_the_change(
    store: InMemoryConfigStore, sample_document: dict[str, Any]
) -> None:
    publish_versions(store, sample_document, 2)
    changes = diff_documents(store.load_document("v000001"), store.load_document("v000002"))
    assert changes == [
        Change("queues[cards_general].attributes.greeting_prompt", "changed", "g1", "g2"),
    ]
