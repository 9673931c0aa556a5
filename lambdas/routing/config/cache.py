"""The compiled active version, kept in memory and refreshed at most once per interval.

Degradation order when the store misbehaves: the version already in memory (``last_known_good``) → the version
baked into the deployment package (``baked``) → nothing (the caller routes to the deployment's default queue).
A failed check is retried after ``retry_seconds``, never on every call, so an outage costs one timeout per
interval per container, not one per call. With a ``StoreGate`` every store read runs under the call's deadline:
when the budget is spent (or an earlier read still hangs) the check fails like any other store error.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from routing.common.deadline import StoreGate
from routing.common.observability import MetricUnit, logger, metrics
from routing.config.store import ConfigStore, Pointer
from routing.route.engine import CompiledConfig


class ConfigCache:
    """Serves one whole compiled version at a time; swaps versions atomically (one reference assignment)."""

    def __init__(
        self,
        store: ConfigStore | None,
        *,
        refresh_seconds: float = 30.0,
        retry_seconds: float = 5.0,
        baked_path: Path | None = None,
        clock: Callable[[], float] = time.monotonic,
        gate: StoreGate | None = None,
    ) -> None:
        self._store = store
        self._gate = gate
        self._refresh = refresh_seconds
        self._retry = retry_seconds
        self._baked_path = baked_path
        self._clock = clock
        self._compiled: CompiledConfig | None = None
        self._source = "none"
        self._next_check = 0.0
        self._baked_tried = False
        self._started = clock()
        self._confirmed_at: float | None = None
        self.checks = 0
        self.loads = 0

    @property
    def source(self) -> str:
        """Where the version in use came from: active, last_known_good, baked or none."""
        return self._source

    def staleness_seconds(self) -> float | None:
        """Seconds since this container last confirmed it serves the active version (since it started, if never);
        None without a store (nothing to be stale against). The "stale config" alarm watches this."""
        if self._store is None:
            return None
        return self._clock() - (self._confirmed_at if self._confirmed_at is not None else self._started)

    def current(self) -> tuple[CompiledConfig | None, str]:
        """The version to decide with, and its source. Never raises."""
        now = self._clock()
        if now >= self._next_check:
            self._check(now)
        return self._compiled, self._source

    def prime(self, budget_seconds: float) -> None:
        """Lambda's init phase (what a SnapStart snapshot keeps): compile the baked version with every ruleset, then,
        when the store answers within ``budget_seconds`` (its own budget, not a call's), the active version too, so
        the first call decides from memory without asking the store. ``budget_seconds`` 0: no store read at init.
        Never raises; a failed read is retried like any other (after ``retry_seconds``, under a call's deadline)."""
        self._baked_tried = True
        baked = load_baked(self._baked_path)
        if baked is not None and self._compiled is None:
            _precompile(baked)
            self._compiled, self._source = baked, "baked"
        if self._store is None:
            self._next_check = self._clock() + self._refresh
            return
        if budget_seconds <= 0:
            return
        budget: AbstractContextManager[None] = self._gate.call(budget_seconds) if self._gate else nullcontext()
        with budget:
            self._check(self._clock())
        if self._compiled is not None and self._source == "active":
            _precompile(self._compiled)

    def expire(self) -> None:
        """Make the next ``current()`` check the store (after a snapshot restore: the version in memory may be days
        old). The check runs inside that call's deadline, like every check; nothing blocks here."""
        self._next_check = float("-inf")

    def _check(self, now: float) -> None:
        self.checks += 1
        if self._store is None:
            self._use_baked()
            self._next_check = now + self._refresh
            return
        store = self._store
        try:
            pointer: Pointer | None = self._read(store.get_pointer)
        except Exception as exc:  # noqa: BLE001 — any store failure degrades, it never reaches the caller
            self._degrade(now, "pointer_read_failed", exc)
            return
        if pointer is None:
            logger.warning("no active config version published yet")
            self._use_baked()
            self._next_check = now + self._refresh
            return
        if self._compiled is not None and self._compiled.version == pointer.version_id:
            self._confirmed_at = now
            self._source = "active"
            self._next_check = now + self._refresh
            return
        try:
            version_id = pointer.version_id
            document = self._read(lambda: store.load_document(version_id))
            compiled = CompiledConfig.compile(
                document, version=pointer.version_id, content_hash="", published_at=pointer.updated_at
            )
        except Exception as exc:  # noqa: BLE001 — corrupt, partial (replicating) or uncompilable: keep what we have
            self._degrade(now, "version_load_failed", exc, version=pointer.version_id)
            return
        self.loads += 1
        previous = self._compiled.version if self._compiled else None
        self._compiled, self._source = compiled, "active"
        self._confirmed_at = now
        self._next_check = now + self._refresh
        logger.info(
            "config version loaded",
            extra={
                "config_version": compiled.version,
                "previous_version": previous,
                "rules": compiled.rule_count,
            },
        )

    def _read(self, fn: Callable[[], Any]) -> Any:
        """A store read, bounded by the call's deadline when there is a gate."""
        return fn() if self._gate is None else self._gate.run(fn)

    def _degrade(self, now: float, what: str, exc: Exception, **extra: Any) -> None:
        logger.warning(f"config refresh failed: {what}", extra={"error": repr(exc), **extra})
        metrics.add_metric(name="ConfigRefreshFailed", unit=MetricUnit.Count, value=1)
        self._next_check = now + self._retry
        if self._compiled is None:
            self._use_baked()
        elif self._source == "active":
            self._source = "last_known_good"

    def _use_baked(self) -> None:
        if self._compiled is not None and self._source != "none":
            # Keep a loaded version over the baked one: it is at least as new.
            if self._source == "active":
                self._source = "last_known_good"
            return
        if self._baked_tried:
            return
        self._baked_tried = True
        baked = load_baked(self._baked_path)
        if baked is not None:
            self._compiled, self._source = baked, "baked"


def _precompile(compiled: CompiledConfig) -> None:
    """Every ruleset compiled now (init); one that does not compile fails when used, exactly as when lazy. And what
    decisions would import lazily: ``phonenumbers`` with the default country's metadata when a rule reads
    ``caller_country`` (30-40 ms, else paid by the first such call)."""
    try:
        compiled.precompile()
    except Exception as exc:  # noqa: BLE001 — the rest of the version stays usable
        logger.warning(
            "a ruleset does not compile; it fails when used", extra={"version": compiled.version, "error": repr(exc)}
        )
    reads_field = getattr(compiled.rulesets, "reads_field", None)
    if reads_field is None or not reads_field("caller_country"):
        return
    try:
        import phonenumbers

        code = phonenumbers.country_code_for_region(compiled.default_country)
        phonenumbers.region_code_for_number(phonenumbers.parse(f"+{code}2125550100", compiled.default_country))
    except Exception as exc:  # noqa: BLE001 — the first call that needs it imports it instead
        logger.warning("could not load phone number metadata at init", extra={"error": repr(exc)})


def load_baked(path: Path | None) -> CompiledConfig | None:
    """The version baked into the deployment package, or None if absent or unusable."""
    if path is None or not path.is_file():
        logger.warning("no baked config in the package", extra={"path": str(path)})
        return None
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        document = payload.get("document", payload)
        version = payload.get("version") or f"baked-{str(payload.get('content_hash', ''))[:8]}"
        return CompiledConfig.compile(document, version=version)
    except Exception as exc:  # noqa: BLE001
        logger.exception("baked config unusable", extra={"path": str(path), "error": repr(exc)})
        return None
