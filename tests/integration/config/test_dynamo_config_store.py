"""``DynamoConfigStore`` on moto: the table layout, conditional writes, chunked versions, TTL, refusing partial data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from routing.common.models import ConfigItem
from routing.config.loader import content_hash
from routing.config.publishing import PublishConflictError, RollbackError, publish_document, rollback
from routing.config.store import (
    DynamoConfigStore,
    PointerConflictError,
    VersionConflictError,
    VersionInfo,
    VersionUnavailableError,
    encode_document,
)
from tests.conftest import changed_copy

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def chunk_items(version_id: str) -> list[ConfigItem]:
    return list(ConfigItem.query(f"VERSION#{version_id}"))


def test_an_empty_table(dynamo_store: DynamoConfigStore) -> None:
    assert dynamo_store.get_pointer() is None
    assert dynamo_store.get_version("v000001") is None
    assert dynamo_store.list_versions() == []
    assert dynamo_store.list_audit() == []
    with pytest.raises(VersionUnavailableError, match="not found"):
        dynamo_store.load_document("v000001")


def test_publish_rollback_versions_and_audit_round_trip(
    dynamo_store: DynamoConfigStore, sample_document: dict[str, Any]
) -> None:
    # Given three publishes (one of them unchanged) and a rollback
    first = publish_document(dynamo_store, sample_document, actor="alice", summary="initial", now=T0)
    same = publish_document(dynamo_store, sample_document, actor="bob", summary="again", now=T0 + DAY)
    second = publish_document(
        dynamo_store, changed_copy(sample_document, "g2"), actor="bob", summary="g2", now=T0 + DAY
    )
    back = rollback(dynamo_store, actor="carol", to_version="v000001", reason="bad greeting", now=T0 + 2 * DAY)
    # Then the results, the pointer, the catalog, the audit and the documents all agree
    assert [(r.status, r.version_id) for r in (first, same, second, back)] == [
        ("PUBLISHED", "v000001"),
        ("UNCHANGED", "v000001"),
        ("PUBLISHED", "v000002"),
        ("ROLLED_BACK", "v000001"),
    ]
    pointer = dynamo_store.get_pointer()
    assert pointer is not None
    assert (pointer.version_id, pointer.previous_version_id, pointer.revision, pointer.updated_by) == (
        "v000001",
        "v000002",
        3,
        "carol",
    )
    assert pointer.updated_at == "2026-01-03T12:00:00.000000Z"
    versions = dynamo_store.list_versions()
    assert [(v.version_id, v.published_by, v.summary) for v in versions] == [
        ("v000001", "alice", "initial"),
        ("v000002", "bob", "g2"),
    ]
    assert versions[0].content_hash == content_hash(sample_document)
    assert versions[0].size_bytes == encode_document(sample_document)[2]  # uncompressed canonical JSON bytes
    assert [(a.action, a.actor, a.from_version, a.to_version, a.detail) for a in dynamo_store.list_audit()] == [
        ("rollback", "carol", "v000002", "v000001", "bad greeting"),
        ("publish", "bob", "v000001", "v000002", "g2"),
        ("publish", "alice", None, "v000001", "initial"),
    ]
    assert [a.at for a in dynamo_store.list_audit(limit=2)] == [
        "2026-01-03T12:00:00.000000Z",
        "2026-01-02T12:00:00.000000Z",
    ]
    assert dynamo_store.load_document("v000001") == sample_document
    assert dynamo_store.load_document("v000002") == changed_copy(sample_document, "g2")


def test_the_table_layout(dynamo_store: DynamoConfigStore, sample_document: dict[str, Any]) -> None:
    publish_document(dynamo_store, sample_document, actor="alice", summary="s", now=T0)
    items = list(ConfigItem.scan())
    assert {(i.pk, i.sk) for i in items if i.pk != "AUDIT"} == {
        ("POINTER", "ACTIVE"),
        ("VERSIONS", "v000001"),
        ("VERSION#v000001", "CHUNK#0000"),
    }
    (audit,) = [i for i in items if i.pk == "AUDIT"]
    assert audit.sk.startswith("2026-01-01T12:00:00.000000Z#")  # time-ordered, unique per record
    chunk = ConfigItem.get("VERSION#v000001", "CHUNK#0000")
    assert (chunk.content_hash, chunk.chunk_count) == (content_hash(sample_document), 1)


def test_a_large_version_spans_chunks_and_loads_whole(
    dynamo_store: DynamoConfigStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import routing.config.store as config_store
    from trunkline.generate import generate_config

    big = generate_config(queues=600, rules=5000)
    packed = len(encode_document(big)[1][0])
    # 5,000 rules compress to well under one 350 KB item; smaller chunks exercise the multi-chunk path the same way
    monkeypatch.setattr(config_store, "CHUNK_BYTES", packed // 4 + 1)
    result = publish_document(dynamo_store, big, actor="gen", summary="big")
    info = dynamo_store.get_version(result.version_id)
    assert info is not None
    assert info.chunk_count == 4
    items = chunk_items(result.version_id)
    assert [i.sk for i in items] == ["CHUNK#0000", "CHUNK#0001", "CHUNK#0002", "CHUNK#0003"]
    assert all(i.chunk_count == 4 and i.content_hash == info.content_hash for i in items)
    assert all(len(i.data) <= packed // 4 + 1 for i in items)
    loaded = dynamo_store.load_document(result.version_id)
    assert content_hash(loaded) == info.content_hash
    assert len(loaded["rulesets"]) == 20
    assert sum(len(r["rules"]) for r in loaded["rulesets"].values()) == 5000


def test_the_real_chunk_size_keeps_items_under_the_dynamodb_limit(dynamo_store: DynamoConfigStore) -> None:
    # Incompressible content of ~1 MB: at least three items of at most CHUNK_BYTES (< 400 KB) each
    import os

    from routing.config.store import CHUNK_BYTES

    noise = os.urandom(400_000).hex()
    content_hash_, chunks, _ = encode_document({"noise": noise})
    dynamo_store.reserve_version(VersionInfo("v000001", content_hash_, "t", "t", "", len(noise), len(chunks)))
    dynamo_store.write_chunks("v000001", content_hash_, chunks)
    items = chunk_items("v000001")
    assert len(items) >= 2
    assert all(len(i.data) <= CHUNK_BYTES < 400_000 for i in items)
    assert dynamo_store.load_document("v000001") == {"noise": noise}


# --- conditional writes --------------------------------------------------------------------------------------


def test_the_pointer_flip_is_conditional_on_the_revision(dynamo_store: DynamoConfigStore) -> None:
    first = dynamo_store.flip_pointer("v000001", previous_version_id=None, expected_revision=None, actor="a", at="t1")
    assert first.revision == 1
    with pytest.raises(PointerConflictError):  # "no pointer yet" when there is one
        dynamo_store.flip_pointer("v000002", previous_version_id=None, expected_revision=None, actor="b", at="t2")
    with pytest.raises(PointerConflictError):  # a stale revision
        dynamo_store.flip_pointer("v000002", previous_version_id="v000001", expected_revision=0, actor="b", at="t2")
    second = dynamo_store.flip_pointer(
        "v000002", previous_version_id="v000001", expected_revision=1, actor="c", at="t3"
    )
    assert second.revision == 2
    with pytest.raises(PointerConflictError):  # the revision that was just used
        dynamo_store.flip_pointer("v000003", previous_version_id="v000002", expected_revision=1, actor="d", at="t4")
    pointer = dynamo_store.get_pointer()
    assert pointer is not None
    assert (pointer.version_id, pointer.revision, pointer.updated_by) == ("v000002", 2, "c")


def test_a_publisher_that_read_an_old_revision_is_refused(
    dynamo_store: DynamoConfigStore, sample_document: dict[str, Any]
) -> None:
    publish_document(dynamo_store, sample_document, actor="a", summary="s")
    with pytest.raises(PublishConflictError):
        publish_document(
            dynamo_store, changed_copy(sample_document, "x"), actor="late", summary="s", expected_revision=0
        )
    assert [v.version_id for v in dynamo_store.list_versions()] == ["v000001"]


def test_reserving_a_taken_version_id_conflicts(dynamo_store: DynamoConfigStore) -> None:
    info = VersionInfo("v000001", "hash", "a", "t", "s", 10, 1)
    dynamo_store.reserve_version(info)
    with pytest.raises(VersionConflictError):
        dynamo_store.reserve_version(VersionInfo("v000001", "other", "b", "t", "s", 10, 1))
    stored = dynamo_store.get_version("v000001")
    assert stored is not None
    assert (stored.content_hash, stored.published_by) == ("hash", "a")  # the first reservation stands


def test_a_concurrent_publisher_takes_the_next_id(
    dynamo_store: DynamoConfigStore, sample_document: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A rival reserves v000001 between our catalog read and our reservation
    original = DynamoConfigStore.reserve_version
    rival_done: list[bool] = []

    def racing_reserve(self: DynamoConfigStore, info: VersionInfo) -> None:
        if not rival_done:
            rival_done.append(True)
            original(self, VersionInfo(info.version_id, "rival", "rival", "t", "", 1, 1))
        original(self, info)

    monkeypatch.setattr(DynamoConfigStore, "reserve_version", racing_reserve)
    result = publish_document(dynamo_store, sample_document, actor="a", summary="s")
    assert result.version_id == "v000002"


def test_a_write_error_that_is_not_a_condition_is_not_a_conflict(
    dynamo_store: DynamoConfigStore, dynamodb_calls: dict[str, Any]
) -> None:
    from pynamodb.exceptions import PutError

    from tests.integration.conftest import throttled

    dynamodb_calls["fail"] = ({"PutItem"}, throttled("PutItem"))
    with pytest.raises(PutError):
        dynamo_store.reserve_version(VersionInfo("v000001", "h", "a", "t", "", 1, 1))
    with pytest.raises(PutError):
        dynamo_store.flip_pointer("v000001", previous_version_id=None, expected_revision=None, actor="a", at="t")


# --- TTL -----------------------------------------------------------------------------------------------------


def test_set_expiry_sets_and_clears_the_ttl_on_the_catalog_entry_and_every_chunk(
    dynamo_store: DynamoConfigStore, sample_document: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import routing.config.store as config_store

    monkeypatch.setattr(config_store, "CHUNK_BYTES", len(encode_document(sample_document)[1][0]) // 3 + 1)
    publish_document(dynamo_store, sample_document, actor="a", summary="s")
    expires = int((T0 + 90 * DAY).timestamp())
    dynamo_store.set_expiry("v000001", expires)
    assert dynamo_store.get_version("v000001").expires_at == expires  # type: ignore[union-attr]
    chunks = chunk_items("v000001")
    assert len(chunks) > 1
    assert all(int(c.expires_at.timestamp()) == expires for c in chunks)
    dynamo_store.set_expiry("v000001", None)
    assert dynamo_store.get_version("v000001").expires_at is None  # type: ignore[union-attr]
    assert all(c.expires_at is None for c in chunk_items("v000001"))
    assert dynamo_store.load_document("v000001") == sample_document  # the data itself is untouched


def test_retention_on_dynamodb(dynamo_store: DynamoConfigStore, sample_document: dict[str, Any]) -> None:
    for i in range(4):
        publish_document(
            dynamo_store, changed_copy(sample_document, f"g{i}"), actor="a", summary=f"{i}", now=T0 + i * DAY
        )
    found = {v.version_id: v.expires_at for v in dynamo_store.list_versions()}
    assert (found["v000004"], found["v000003"]) == (None, None)
    assert found["v000001"] == int((T0 + 90 * DAY).timestamp())
    assert found["v000002"] == int((T0 + 91 * DAY).timestamp())
    rollback(dynamo_store, actor="ops", to_version="v000001")
    assert dynamo_store.get_version("v000001").expires_at is None  # type: ignore[union-attr]
    assert all(c.expires_at is None for c in chunk_items("v000001"))


# --- refusing partial or corrupt versions --------------------------------------------------------------------


@pytest.fixture
def two_chunk_version(
    dynamo_store: DynamoConfigStore, sample_document: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> str:
    import routing.config.store as config_store

    packed = len(encode_document(sample_document)[1][0])
    monkeypatch.setattr(config_store, "CHUNK_BYTES", packed // 2 + 1)
    result = publish_document(dynamo_store, sample_document, actor="a", summary="s")
    assert len(chunk_items(result.version_id)) == 2
    return result.version_id


@pytest.mark.parametrize("missing", ["CHUNK#0000", "CHUNK#0001"])
def test_a_version_with_a_missing_chunk_is_unavailable(
    dynamo_store: DynamoConfigStore, two_chunk_version: str, missing: str
) -> None:
    ConfigItem(f"VERSION#{two_chunk_version}", missing).delete()
    with pytest.raises(VersionUnavailableError, match="1 of 2 chunks present"):
        dynamo_store.load_document(two_chunk_version)


def test_a_version_with_no_chunks_yet_is_unavailable(dynamo_store: DynamoConfigStore, two_chunk_version: str) -> None:
    for item in chunk_items(two_chunk_version):
        item.delete()
    with pytest.raises(VersionUnavailableError, match="not found"):
        dynamo_store.load_document(two_chunk_version)


@pytest.mark.parametrize("damage", ["garbage", "swapped", "other content"])
def test_a_corrupt_version_is_unavailable(dynamo_store: DynamoConfigStore, two_chunk_version: str, damage: str) -> None:
    import zlib

    first, second = chunk_items(two_chunk_version)
    if damage == "garbage":
        second.data = b"\x00" * 50
        second.save()
    elif damage == "swapped":
        first.data, second.data = second.data, first.data
        first.save()
        second.save()
    else:  # whole, valid zlib data of another document under the same hash
        first.data = zlib.compress(b'{"schema":1}')[:10]
        second.data = zlib.compress(b'{"schema":1}')[10:]
        first.save()
        second.save()
    with pytest.raises(VersionUnavailableError):
        dynamo_store.load_document(two_chunk_version)


def test_rollback_refuses_a_version_that_cannot_be_loaded(
    dynamo_store: DynamoConfigStore, sample_document: dict[str, Any]
) -> None:
    publish_document(dynamo_store, sample_document, actor="a", summary="v1")
    publish_document(dynamo_store, changed_copy(sample_document, "x"), actor="a", summary="v2")
    ConfigItem("VERSION#v000001", "CHUNK#0000").delete()
    with pytest.raises(RollbackError, match="v000001"):
        rollback(dynamo_store, actor="ops", to_version="v000001")
    assert dynamo_store.get_pointer().version_id == "v000002"  # type: ignore[union-attr]


def test_deploy_base_round_trip(dynamo_store: DynamoConfigStore, sample_document: dict[str, Any]) -> None:
    assert dynamo_store.load_deploy_base() is None
    dynamo_store.save_deploy_base(sample_document)
    dynamo_store.save_deploy_base(changed_copy(sample_document, "newer"))
    assert dynamo_store.load_deploy_base() == changed_copy(sample_document, "newer")
