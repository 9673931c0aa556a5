"""Connect-rule findings our own flows are allowed to have: none (issue 11 fixed the store-mode input of
``AskCallbackNumber``). The lint tests expect exactly these findings, so a new one fails them."""

from __future__ import annotations

from typing import Final

KNOWN_FINDINGS: Final[frozenset[str]] = frozenset()


def known_for(flow: str) -> set[str]:
    """The known findings of one flow (by file stem)."""
    return {f for f in KNOWN_FINDINGS if f.startswith(f"{flow}: ")}
