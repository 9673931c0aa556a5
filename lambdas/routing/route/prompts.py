"""The inbound flow's fixed prompts and text-to-speech voice, per language (data-driven: ``defaults.languages``).

The flow plays ``$.FlowAttributes.prompt_<key>`` and sets the voice from ``$.FlowAttributes.voice``, both copied
from the route reply; a language config does not define falls back to these English texts and Joanna (Connect's
default voice). Prompts on the paths a failed ``route`` call takes stay static English in the flow: without a
reply there is no language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

PROMPT_KEYS: Final = (
    "callback_offer",
    "callback_number",
    "callback_confirmed",
    "callback_duplicate",
    "callback_failed",
    "queue_full",
)
# "This defaults to Joanna if this action is never run" (UpdateContactTextToSpeechVoice).
DEFAULT_VOICE: Final = "Joanna"
DEFAULT_PROMPTS: Final[Mapping[str, str]] = {
    "callback_offer": (
        "Our wait is longer than usual. Press 1 and we will call you back at the number you are calling from. "
        "Press 2 to enter another number. Or stay on the line to keep your place."
    ),
    "callback_number": "Please enter your phone number, including the area code, then press pound.",
    "callback_confirmed": "Thank you. We will call you back as soon as an agent is free. Goodbye.",
    "callback_duplicate": "You already have a callback scheduled with us. We will call you soon. Goodbye.",
    "callback_failed": (
        "We are sorry, we cannot arrange a callback to that number. Please stay on the line to keep your place."
    ),
    "queue_full": (
        "All of the specialists for your request are busy right now. "
        "Please stay on the line and we will connect you with the next available agent."
    ),
}

#: Words per second of text-to-speech, a conservative (slow) figure for timing a prompt without synthesizing it.
SPEECH_WORDS_PER_SECOND: Final = 2.0


def speech_seconds(text: str) -> float:
    """A generous estimate of how long ``text`` takes to speak."""
    return len(text.split()) / SPEECH_WORDS_PER_SECOND


def reply_prompts(voice: str, prompts: Mapping[str, str]) -> dict[str, str]:
    """The reply keys: ``voice`` and ``prompt_<key>`` for every key, English filling the gaps."""
    reply = {"voice": voice or DEFAULT_VOICE}
    for key in PROMPT_KEYS:
        reply[f"prompt_{key}"] = prompts.get(key) or DEFAULT_PROMPTS[key]
    return reply
