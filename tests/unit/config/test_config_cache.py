"""The config cache (routing.config.cache) over the in-memory store with a hand-moved clock.

What it promises: at most one store check per interval (no store read on the calls in between), a new version
swapped in whole, last-known-good through outages and bad versions, retries after ``retry_seconds`` (not per
call), the baked version on a cold start without a store, and nothing (→ ERROR_DEFAULT) without either.
"""

from __future__ import annotations

import json
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from routing.config.cache import ConfigCache, load_baked
from routing.config.memory_store import InMemoryConfigStore
from routing.config.publishing import publish_document
from routing.config.store import Pointer, VersionInfo, encode_document
from routing.route.service import RouteService
from tests.conftest import FakeClock, assert_reply_contract, changed_copy
from trunkline.contacts import connect_event

REFRESH, RETRY = 30.0, 5.0


class FlakyStore(InMemoryConfigStore):
    """The in-memory store, counting every read, that can be switched to fail like an unreachable table."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[str] = Counter()
        self.failure: Exception | None = None

    def get_pointer(self) -> Pointer | None:
        self.calls["get_pointer"] += 1
        if self.failure is not None:
            raise self.failure
        return super().get_pointer()

    def load_document(self, version_id: str) -> dict[str, Any]:
        self.calls["load_document"] += 1
        if self.failure is not None:
            raise self.failure
        return super().load_document(version_id)

    @property
    def total(self) -> int:
        return sum(self.calls.values())


@pytest.fixture
def store() -> FlakyStore:
    return FlakyStore()


def cache_for(store: FlakyStore | None, clock: FakeClock, baked: Path | None = None) -> ConfigCache:
    return ConfigCache(store, refresh_seconds=REFRESH, retry_seconds=RETRY, baked_path=baked, clock=clock)


def version_of(cache: ConfigCache) -> tuple[str | None, str]:
    compiled, source = cache.current()
    return (compiled.version if compiled else None), source


def write_baked(tmp_path: Path, document: dict[str, Any], version: str = "baked-1234abcd") -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"version": version, "content_hash": "1234abcd", "document": document}))
    return path


# --- refresh interval ----------------------------------------------------------------------------------------


def test_a_cold_start_loads_the_active_version(
    store: FlakyStore, clock: FakeClock, sample_document: dict[str, Any]
) -> None:
    publish_document(store, sample_document, actor="t", summary="v1")
    store.calls.clear()
    cache = cache_for(store, clock)
    assert version_of(cache) == ("v000001", "active")
    assert store.calls == Counter(get_pointer=1, load_document=1)


def test_no_store_read_between_checks(store: FlakyStore, clock: FakeClock, sample_document: dict[str, Any]) -> None:
    publish_document(store, sample_document, actor="t", summary="v1")
    cache = cache_for(store, clock)
    cache.current()
    store.calls.clear()
    loaded_at = clock.now
    # Given a loaded version, When a thousand calls arrive within the interval, Then none of them reads the store
    for i in range(1000):
        clock.now = loaded_at + REFRESH * i / 1000
        assert version_of(cache) == ("v000001", "active")
    assert store.total == 0
    # When the interval has passed, Then exactly one pointer read (same version: no document load)
    clock.now = loaded_at + REFRESH
    assert version_of(cache) == ("v000001", "active")
    assert store.calls == Counter(get_pointer=1)
    assert (cache.checks, cache.loads) == (2, 1)


def test_a_new_version_is_picked_up_at_the_next_check_and_swapped_whole(
    store: FlakyStore, clock: FakeClock, sample_document: dict[str, Any]
) -> None:
    publish_document(store, sample_document, actor="t", summary="v1")
    cache = cache_for(store, clock)
    first, _ = cache.current()
    publish_document(store, changed_copy(sample_document, "v2_greeting"), actor="t", summary="v2")
    clock.advance(REFRESH - 0.001)
    assert cache.current()[0] is first  # not yet: the interval has not passed
    clock.advance(0.001)
    second, source = cache.current()
    assert second is not None
    assert second is not first
    assert (second.version, source) == ("v000002", "active")
    assert second.queues["cards_general"].profile.attributes["greeting_prompt"] == "v2_greeting"
    assert first is not None
    assert first.queues["cards_general"].profile.attributes["greeting_prompt"] == "cards_greeting"  # v1 untouched


def test_a_rollback_is_picked_up_too(store: FlakyStore, clock: FakeClock, sample_document: dict[str, Any]) -> None:
    from routing.config.publishing import rollback

    publish_document(store, sample_document, actor="t", summary="v1")
    publish_document(store, changed_copy(sample_document, "v2"), actor="t", summary="v2")
    cache = cache_for(store, clock)
    assert version_of(cache) == ("v000002", "active")
    rollback(store, actor="ops", to_version="v000001")
    clock.advance(REFRESH)
    assert version_of(cache) == ("v000001", "active")


# --- store failures ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("failure", [TimeoutError("read timeout"), ConnectionError("unreachable"), RuntimeError("x")])
def test_a_store_outage_keeps_the_last_known_good_and_retries_after_the_retry_interval(
    store: FlakyStore, clock: FakeClock, sample_document: dict[str, Any], failure: Exception
) -> None:
    publish_document(store, sample_document, actor="t", summary="v1")
    cache = cache_for(store, clock)
    loaded, _ = cache.current()
    store.failure = failure
    clock.advance(REFRESH)
    store.calls.clear()
    compiled, source = cache.current()
    assert (compiled, source) == (loaded, "last_known_good")
    assert store.calls == Counter(get_pointer=1)
    # Not per call: nothing more until the retry interval has passed
    failed_at = clock.now
    for i in range(200):
        clock.now = failed_at + RETRY * i / 200
        assert cache.current() == (loaded, "last_known_good")
    assert store.calls == Counter(get_pointer=1)
    clock.now = failed_at + RETRY
    cache.current()
    assert store.calls == Counter(get_pointer=2)  # the retry, RETRY seconds after the failure (not REFRESH)
    # When the store is back, Then the next retry restores "active" without reloading the same version
    store.failure = None
    clock.advance(RETRY)
    assert cache.current() == (loaded, "active")
    assert store.calls["load_document"] == 0


def test_a_new_version_published_during_an_outage_arrives_after_it(
    store: FlakyStore, clock: FakeClock, sample_document: dict[str, Any]
) -> None:
    publish_document(store, sample_document, actor="t", summary="v1")
    cache = cache_for(store, clock)
    cache.current()
    store.failure = TimeoutError()
    clock.advance(REFRESH)
    assert version_of(cache) == ("v000001", "last_known_good")
    store.failure = None
    publish_document(store, changed_copy(sample_document, "v2"), actor="t", summary="v2")
    clock.advance(RETRY)
    assert version_of(cache) == ("v000002", "active")


def test_a_cold_start_with_the_store_down_uses_the_baked_version(
    store: FlakyStore, clock: FakeClock, sample_document: dict[str, Any], tmp_path: Path
) -> None:
    publish_document(store, sample_document, actor="t", summary="v1")
    store.calls.clear()
    store.failure = ConnectionError("unreachable")
    cache = cache_for(store, clock, baked=write_baked(tmp_path, sample_document))
    assert version_of(cache) == ("baked-1234abcd", "baked")
    # The store stays down: baked keeps serving, retried every RETRY seconds
    clock.advance(RETRY)
    assert version_of(cache) == ("baked-1234abcd", "baked")
    assert store.calls["get_pointer"] == 2
    # The store comes back: the active version replaces the baked one
    store.failure = None
    clock.advance(RETRY)
    assert version_of(cache) == ("v000001", "active")


def test_nothing_published_yet_uses_the_baked_version(
    clock: FakeClock, sample_document: dict[str, Any], tmp_path: Path
) -> None:
    empty = FlakyStore()
    cache = cache_for(empty, clock, baked=write_baked(tmp_path, sample_document))
    assert version_of(cache) == ("baked-1234abcd", "baked")
    publish_document(empty, sample_document, actor="t", summary="first")
    clock.advance(REFRESH)
    assert version_of(cache) == ("v000001", "active")


def test_no_store_at_all_uses_the_baked_version(
    clock: FakeClock, sample_document: dict[str, Any], tmp_path: Path
) -> None:
    cache = cache_for(None, clock, baked=write_baked(tmp_path, sample_document, version="baked-x"))
    assert version_of(cache) == ("baked-x", "baked")


@pytest.mark.parametrize("baked", ["missing", "not json", "no document", "invalid document"])
def test_no_usable_baked_version_serves_nothing(
    store: FlakyStore, clock: FakeClock, tmp_path: Path, sample_document: dict[str, Any], baked: str
) -> None:
    path = tmp_path / "config.json"
    if baked == "not json":
        path.write_text("{not json")
    elif baked == "no document":
        path.write_text(json.dumps({"version": "baked-1"}))
    elif baked == "invalid document":
        broken = dict(sample_document, defaults={"default_queue": "no_such_queue"})
        path.write_text(json.dumps({"version": "baked-1", "document": broken}))
    store.failure = ConnectionError("unreachable")
    cache = cache_for(store, clock, baked=path)
    assert cache.current() == (None, "none")


def test_a_baked_file_without_the_envelope_is_read_as_the_document(
    sample_document: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(sample_document))
    compiled = load_baked(path)
    assert compiled is not None
    assert compiled.version.startswith("baked-")
    assert "cards_general" in compiled.queues


def test_without_any_config_route_answers_error_default(store: FlakyStore, clock: FakeClock, tmp_path: Path) -> None:
    store.failure = ConnectionError("unreachable")
    service = RouteService(cache_for(store, clock, baked=tmp_path / "absent.json"), default_queue_id="deploy-default")
    reply = assert_reply_contract(service.route(connect_event(dialed="+18005550100")))
    assert (reply["status"], reply["reason"], reply["config_source"]) == ("ERROR_DEFAULT", "no_config", "none")
    assert reply["queue_id"] == "deploy-default"
    assert reply["queue_arn"].endswith("/queue/deploy-default")
    # and it retries the store later, not on every call
    store.calls.clear()
    for _ in range(50):
        service.route(connect_event(dialed="+18005550100"))
    assert store.total == 0
    clock.advance(RETRY)
    service.route(connect_event(dialed="+18005550100"))
    assert store.calls["get_pointer"] == 1


# --- bad versions: corrupt, hash mismatch, incomplete, uncompilable -------------------------------------------


def _loaded_v1_then(store: FlakyStore, clock: FakeClock, sample_document: dict[str, Any]) -> tuple[ConfigCache, Any]:
    publish_document(store, sample_document, actor="t", summary="v1")
    cache = cache_for(store, clock)
    loaded, _ = cache.current()
    publish_document(store, changed_copy(sample_document, "v2"), actor="t", summary="v2")
    return cache, loaded


def _corrupt(store: FlakyStore, how: str, version_id: str = "v000002") -> None:
    content_hash, chunks = store.chunks[version_id]
    if how == "not zlib":
        store.chunks[version_id] = (content_hash, [b"garbage" * 10])
    elif how == "hash mismatch":
        other = zlib.compress(json.dumps({"schema": 1, "something": "else"}).encode())
        store.chunks[version_id] = (content_hash, [other])
    elif how == "truncated":
        store.chunks[version_id] = (content_hash, [chunks[0][: len(chunks[0]) // 2]])
    elif how == "missing chunks":
        del store.chunks[version_id]
    elif how == "not an object":
        raw = b"[1, 2, 3]"
        import hashlib

        store.chunks[version_id] = (hashlib.sha256(raw).hexdigest(), [zlib.compress(raw)])
    else:
        raise AssertionError(how)


@pytest.mark.parametrize("how", ["not zlib", "hash mismatch", "truncated", "missing chunks", "not an object"])
def test_a_bad_new_version_keeps_the_current_one_whole(
    store: FlakyStore, clock: FakeClock, sample_document: dict[str, Any], how: str
) -> None:
    cache, loaded = _loaded_v1_then(store, clock, sample_document)
    _corrupt(store, how)
    clock.advance(REFRESH)
    compiled, source = cache.current()
    assert (compiled, source) == (loaded, "last_known_good")  # the very same v1 object: never a mix
    assert compiled is not None
    assert compiled.queues["cards_general"].profile.attributes["greeting_prompt"] == "cards_greeting"
    # and it is retried after RETRY seconds, not on every call
    store.calls.clear()
    for _ in range(10):
        cache.current()
    assert store.total == 0
    clock.advance(RETRY)
    cache.current()
    assert store.calls == Counter(get_pointer=1, load_document=1)


def test_a_version_still_arriving_on_a_replica_is_used_once_whole(
    store: FlakyStore, clock: FakeClock, sample_document: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a multi-chunk v2 whose pointer reached the replica before all its chunks
    import routing.config.store as config_store

    monkeypatch.setattr(config_store, "CHUNK_BYTES", 1_000)
    cache, loaded = _loaded_v1_then(store, clock, sample_document)
    content_hash, chunks = store.chunks["v000002"]
    assert len(chunks) > 2
    for arrived in range(len(chunks)):  # 0 … n-1 chunks present
        store.chunks["v000002"] = (content_hash, chunks[:arrived])
        clock.advance(REFRESH)
        assert cache.current() == (loaded, "last_known_good")
    # When the last chunk lands, Then the next check switches to v2, whole
    store.chunks["v000002"] = (content_hash, chunks)
    clock.advance(RETRY)
    compiled, source = cache.current()
    assert compiled is not None
    assert (compiled.version, source) == ("v000002", "active")
    assert compiled.queues["cards_general"].profile.attributes["greeting_prompt"] == "v2"


def test_a_version_that_does_not_compile_keeps_the_current_one(
    store: FlakyStore, clock: FakeClock, sample_document: dict[str, Any]
) -> None:
    publish_document(store, sample_document, actor="t", summary="v1")
    cache = cache_for(store, clock)
    loaded, _ = cache.current()
    # A document written without validation (e.g. by a buggy tool): its ruleset targets a queue that does not exist.
    broken = changed_copy(sample_document, "x")
    broken["rulesets"]["cards"]["default"]["queue"] = "no_such_queue"
    broken["defaults"]["default_queue"] = "no_such_queue"
    content_hash, chunks, size = encode_document(broken)
    store.reserve_version(
        VersionInfo("v000002", content_hash, "bad-tool", "2026-01-01T00:00:00Z", "", size, len(chunks))
    )
    store.write_chunks("v000002", content_hash, chunks)
    pointer = store.pointer
    assert pointer is not None
    store.flip_pointer("v000002", previous_version_id="v000001", expected_revision=pointer.revision, actor="x", at="t")
    clock.advance(REFRESH)
    assert cache.current() == (loaded, "last_known_good")


def test_a_bad_version_at_cold_start_falls_back_to_baked(
    store: FlakyStore, clock: FakeClock, sample_document: dict[str, Any], tmp_path: Path
) -> None:
    publish_document(store, sample_document, actor="t", summary="v1")
    _corrupt(store, "not zlib", "v000001")
    cache = cache_for(store, clock, baked=write_baked(tmp_path, sample_document))
    assert version_of(cache) == ("baked-1234abcd", "baked")
