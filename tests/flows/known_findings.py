"""Connect-rule findings our own flows have today, expected exactly by the lint tests (issue 11).

``AskCallbackNumber`` stores input without ``InputValidation`` and declares a timeout error that store mode cannot
raise (issue 11 §1 "Store-mode input"; the flows fix is in progress on another branch). When that fix lands, empty
this set: the tests then require both flows to lint clean.
"""

from __future__ import annotations

from typing import Final

KNOWN_FINDINGS: Final = frozenset(
    {
        "inbound: AskCallbackNumber: error [connect] GetParticipantInput (StoreInput True) cannot raise "
        "'InputTimeLimitExceeded' (it can raise ['NoMatchingError'])",
        "inbound: AskCallbackNumber: error [connect] StoreInput True requires InputValidation "
        "(PhoneNumberValidation, or CustomValidation.MaximumLength)",
    }
)


def known_for(flow: str) -> set[str]:
    """The known findings of one flow (by file stem)."""
    return {f for f in KNOWN_FINDINGS if f.startswith(f"{flow}: ")}
