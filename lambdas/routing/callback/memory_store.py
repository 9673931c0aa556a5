"""``InMemoryCallbackStore``: the callback store's semantics (``routing.callback.store``) in dicts, under a lock, for
the tests, the flow simulator and the demo. Same keys, same answers, no DynamoDB."""

from __future__ import annotations

import random
from dataclasses import dataclass
from threading import Lock

from routing.callback.request import (
    CallbackRequest,
    CallbackStatus,
    ConfirmOutcome,
    HoldState,
    StoredAnswer,
    cap_shares,
)
from routing.callback.store import DEFAULT_SHARDS, cap_key, confirmed, lock_key


@dataclass(slots=True)
class _Hold:
    contact_id: str
    lock_until: float
    state: HoldState


class InMemoryCallbackStore:
    """Same semantics in dicts, under a lock (tests, simulator, demo)."""

    def __init__(self, *, shards: int = DEFAULT_SHARDS, rng: random.Random | None = None) -> None:
        self.locks: dict[str, _Hold] = {}
        self.caps: dict[str, int] = {}
        self.answers: dict[str, tuple[StoredAnswer, str, int]] = {}  # contact → (answer, cap key, window)
        self.writes = 0  # store writes, so tests can see that a retry wrote nothing
        self._shards, self._rng = shards, rng or random.Random()
        self._mutex = Lock()

    def answer_for(self, contact_id: str) -> StoredAnswer | None:
        """What this contact holds."""
        entry = self.answers.get(contact_id)
        return entry[0] if entry else None

    def reserve(self, request: CallbackRequest, *, now: float) -> CallbackStatus:
        """Hold (queue, number) for the reservation, in the first shard with room."""
        with self._mutex:
            key = lock_key(request.queue_key, request.number_hash)
            held = self.locks.get(key)
            if held is not None and held.lock_until > now:
                return CallbackStatus.DUPLICATE
            shares = cap_shares(request.max_open, self._shards)
            start = self._rng.randrange(len(shares))
            for i in range(len(shares)):
                shard = (start + i) % len(shares)
                cap = cap_key(request.queue_key, now, request.window_seconds, shard)
                if self.caps.get(cap, 0) < shares[shard]:
                    break
            else:
                return CallbackStatus.QUEUE_FULL
            self.writes += 1
            self.locks[key] = _Hold(request.contact_id, now + request.reservation_seconds, HoldState.RESERVED)
            self.caps[cap] = self.caps.get(cap, 0) + 1
            answer = StoredAnswer(HoldState.RESERVED, request.queue_key, request.number_hash, request.profile)
            self.answers[request.contact_id] = (answer, cap, request.window_seconds)
            return CallbackStatus.RESERVED

    def confirm(self, contact_id: str, request: CallbackRequest | None, *, now: float) -> ConfirmOutcome:
        """Extend the contact's hold to the window, or take the lock anew when it has none."""
        with self._mutex:
            entry = self.answers.get(contact_id)
            if entry is not None and entry[0].state is HoldState.CONFIRMED:
                return ConfirmOutcome.CONFIRMED
            if entry is not None:
                answer, cap, window = entry
                key = lock_key(answer.queue_key, answer.number_hash)
                held = self.locks.get(key)
                if held is not None and held.contact_id == contact_id:
                    self.writes += 1
                    self.locks[key] = _Hold(contact_id, now + window, HoldState.CONFIRMED)
                    self.answers[contact_id] = (confirmed(answer), cap, window)
                    return ConfirmOutcome.CONFIRMED
            if request is None:
                return ConfirmOutcome.UNLOCKED
            key = lock_key(request.queue_key, request.number_hash)
            held = self.locks.get(key)
            if held is not None and held.lock_until > now:
                return ConfirmOutcome.UNLOCKED
            # The callback exists: count it whatever the cap says (reuse the slot a lapsed reservation took).
            cap = entry[1] if entry else cap_key(request.queue_key, now, request.window_seconds, 0)
            if entry is None:
                self.caps[cap] = self.caps.get(cap, 0) + 1
            self.writes += 1
            self.locks[key] = _Hold(contact_id, now + request.window_seconds, HoldState.CONFIRMED)
            answer = StoredAnswer(HoldState.CONFIRMED, request.queue_key, request.number_hash, request.profile)
            self.answers[contact_id] = (answer, cap, request.window_seconds)
            return ConfirmOutcome.ADOPTED

    def release(self, contact_id: str, *, keep_confirmed: bool = False) -> bool:
        """Free the contact's lock (if still its own) and its cap slot."""
        with self._mutex:
            entry = self.answers.get(contact_id)
            if entry is None:
                return True
            answer, cap, _ = entry
            if keep_confirmed and answer.state is HoldState.CONFIRMED:
                return False
            self.writes += 1
            del self.answers[contact_id]
            key = lock_key(answer.queue_key, answer.number_hash)
            held = self.locks.get(key)
            if held is not None and held.contact_id == contact_id:
                del self.locks[key]
            self.caps[cap] = max(0, self.caps.get(cap, 0) - 1)
            return True
