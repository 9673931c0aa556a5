"""Text copied from an event, made safe to echo: lone surrogates replaced, length capped.

JSON lets an event carry ``"\\ud800"`` (half of a surrogate pair); Python decodes it to a ``str`` that cannot be
encoded as UTF-8, so the first ``.encode()`` — the reply size check, the log formatter, a DynamoDB write — raises.
Every value that is echoed into a reply key or a log line goes through ``clean_text`` first.
"""

from __future__ import annotations

import re

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def clean_text(value: str, limit: int) -> str:
    """``value`` with lone surrogates replaced by U+FFFD and cut to ``limit`` characters (cheap for plain ASCII)."""
    if len(value) > limit:
        value = value[:limit]
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub(REPLACEMENT, value)
    return value


def encodable(value: str) -> str:
    """``value`` with lone surrogates replaced, not cut (text whose length is bounded elsewhere)."""
    return clean_text(value, len(value))
