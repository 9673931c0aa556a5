"""The base of the CDK settings models: strict fields, unknown keys refused, reasons said as "must …"."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Strict, model_validator


class SettingsError(ValueError):
    """cdk.json context is missing or malformed; the message names each key and what is wrong with it."""


def _rule(ok: Callable[[Any], Any], reason: str) -> AfterValidator:
    """A validator refusing a value for which ``ok`` is false, saying ``<reason>, got <value>``."""

    def check(value: Any) -> Any:
        if not ok(value):
            raise ValueError(f"{reason}, got {value!r}")
        return value

    return AfterValidator(check)


def _bounded(low: int, high: int) -> AfterValidator:
    return _rule(lambda v: low <= v <= high, f"must be {low}..{high}")


def _one_of(choices: tuple[Any, ...]) -> AfterValidator:
    return _rule(lambda v: v in choices, f"must be one of {list(choices)}")


def _matching(pattern: re.Pattern[str], what: str) -> AfterValidator:
    return _rule(pattern.match, f"must be {what}")


StrictBool = Annotated[bool, Strict()]  # "false" as a string would be truthy: refuse it rather than guess
StrictText = Annotated[str, Strict()]


class _Settings(BaseModel):
    """Frozen; an unknown key is refused with the list of known ones."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    _derived: ClassVar[frozenset[str]] = frozenset()  # fields set by the parent, never read from cdk.json

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        data = cls._shorthand(data)
        if not isinstance(data, Mapping):
            raise ValueError(f"must be a mapping with {sorted(cls._keys())}")
        unknown = sorted(set(data) - cls._keys() - cls._derived)
        if unknown:
            raise ValueError(f"unknown key(s) {unknown}; known: {sorted(cls._keys())}")
        return data

    @classmethod
    def _keys(cls) -> set[str]:
        return set(cls.model_fields) - cls._derived

    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        """What cdk.json may abbreviate, expanded before the key check (none by default)."""
        return data
