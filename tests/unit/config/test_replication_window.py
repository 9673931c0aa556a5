"""A DR replica can receive the new pointer before the new version's chunks (global tables replicate items
independently): decisions keep using the previous whole version until the new one has fully arrived."""

from __future__ import annotations

from pathlib import Path

from routing.config.cache import ConfigCache
from routing.config.loader import load_directory
from routing.config.memory_store import InMemoryConfigStore
from routing.config.publishing import publish_document
from routing.config.store import Pointer

ROOT = Path(__file__).resolve().parents[3]


def test_pointer_ahead_of_chunks_keeps_the_previous_version_until_they_arrive() -> None:
    doc = load_directory(ROOT / "config").document
    assert doc is not None
    active = InMemoryConfigStore()
    publish_document(active, doc, actor="a", summary="v1")
    changed = {**doc, "defaults": {**doc["defaults"], "closed_message": "new message"}}
    publish_document(active, changed, actor="a", summary="v2")

    # The DR replica: v1 fully replicated; then v2's catalog entry and pointer arrive, its chunks not yet.
    replica = InMemoryConfigStore()
    replica.catalog = dict(active.catalog)
    replica.chunks = {"v000001": active.chunks["v000001"]}
    replica.pointer = Pointer("v000001", None, 1, "t", "a")
    now = [0.0]
    cache = ConfigCache(replica, refresh_seconds=30, retry_seconds=5, clock=lambda: now[0])
    compiled, source = cache.current()
    assert (compiled.version, source) == ("v000001", "active")  # type: ignore[union-attr]

    replica.pointer = active.pointer
    now[0] = 31.0
    compiled, source = cache.current()
    assert compiled is not None
    assert (compiled.version, source) == ("v000001", "last_known_good")
    assert compiled.closed_message != "new message"  # never a mix: v1 whole

    # Partially arrived chunks (a multi-chunk version) are refused just the same.
    content_hash, chunks = active.chunks["v000002"]
    replica.chunks["v000002"] = (content_hash, [chunks[0][: len(chunks[0]) // 2]])
    now[0] = 37.0
    compiled, _ = cache.current()
    assert compiled is not None
    assert compiled.version == "v000001"

    # The chunks land: the next check (retry interval, not per call) switches to v2 whole.
    replica.chunks["v000002"] = active.chunks["v000002"]
    reads_before = replica.reads
    now[0] = 38.0
    cache.current()
    assert replica.reads == reads_before  # still inside the 5 s retry interval: no read per call
    now[0] = 43.0
    compiled, source = cache.current()
    assert compiled is not None
    assert (compiled.version, source, compiled.closed_message) == ("v000002", "active", "new message")
