"""Every CLI failure as one line: ``CliError`` for what a command detects, ``one_line`` for everything else.

A traceback tells a new user nothing they can act on; the line says what failed and, where there is one, the fix.
``--debug`` re-raises instead, for the rare bug.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """A failure the user can act on; ``str()`` is the whole message (one line)."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def read_json_file(path: str | Path, what: str = "file") -> Any:
    """JSON from ``path``, or a ``CliError`` naming the file and what is wrong with it."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"{name}: {what} not found") from None
    except IsADirectoryError:
        raise CliError(f"{name}: is a directory, not a {what}") from None
    except UnicodeDecodeError as exc:
        raise CliError(f"{name}: {what} is not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise CliError(f"{name}: cannot read {what}: {exc.strerror or exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"{name}: {what} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise CliError(f"{name}: {what} is JSON nested too deeply") from None


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it wraps (``__cause__``/``__context__``, and PynamoDB's ``cause``), outermost first."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        inner = getattr(current, "cause", None)
        current = inner if isinstance(inner, BaseException) else (current.__cause__ or current.__context__)
    return seen


def _botocore_line(exc: BaseException) -> str | None:
    """One line for the botocore failures a user meets (region, credentials, profile, endpoint, AWS errors)."""
    try:
        from botocore import exceptions as bx
    except ImportError:  # pragma: no cover - botocore ships with every install
        return None
    if isinstance(exc, bx.NoRegionError):
        return "no AWS region: pass --region, or set AWS_REGION / AWS_DEFAULT_REGION, or a region in your profile"
    if isinstance(exc, bx.NoCredentialsError | bx.PartialCredentialsError):
        return (
            "no AWS credentials found: set AWS_PROFILE (or --profile), AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
            "or run `aws sso login`"
        )
    if isinstance(exc, bx.ProfileNotFound):
        return f"AWS profile not found: {exc.kwargs.get('profile', '')} (check AWS_PROFILE / --profile)"
    if isinstance(exc, bx.TokenRetrievalError | bx.SSOTokenLoadError | bx.UnauthorizedSSOTokenError):
        return f"AWS sign-in expired or missing ({exc}): run `aws sso login`"
    if isinstance(exc, bx.EndpointConnectionError | bx.ConnectTimeoutError | bx.ReadTimeoutError):
        return f"store unreachable: {exc}"
    if isinstance(exc, bx.ClientError):
        error = exc.response.get("Error", {})
        code, message = error.get("Code", "?"), error.get("Message", "")
        operation = getattr(exc, "operation_name", "")
        if code == "ResourceNotFoundException":
            return f"AWS {operation}: table not found ({message}); check --table and --region"
        return f"AWS {operation} failed: {code}: {message}"
    if isinstance(exc, bx.BotoCoreError):
        return f"AWS: {exc}"
    return None


def one_line(exc: BaseException) -> str:
    """A single line describing ``exc`` for a user (no newline, no traceback)."""
    if isinstance(exc, CliError):
        return str(exc)
    for cause in _causes(exc):
        line = _botocore_line(cause)
        if line is not None:
            return _flatten(line)
    if isinstance(exc, FileNotFoundError) and exc.filename:
        return f"{exc.filename}: not found"
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror or exc}"
    from routing.config.store import ConfigStoreError
    from trunkline.embedded import EmbeddedStoreError

    if isinstance(exc, EmbeddedStoreError):
        return _flatten(str(exc))
    if isinstance(exc, ConfigStoreError):
        return _flatten(f"config store: {exc}")
    return _flatten(f"{type(exc).__name__}: {exc} (run with --debug for the traceback)")


def _flatten(text: str) -> str:
    return " ".join(text.split())
