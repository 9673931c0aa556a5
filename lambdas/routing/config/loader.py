"""Load config files, validate them (schema + references + rules), and produce the normalized document.

Every problem is reported at once as a ``ConfigIssue`` (file, line, keyed path, reason) so an author can fix them
all in one pass; one mistake gives one issue (docs/configuration.md, "Errors").
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from routing.config.issues import ConfigIssue, Source, keyed_path, path_loc, suggest
from routing.config.references import CONFIRM_INVOKE_SECONDS, Where, reference_issues
from routing.config.schema import SECTION_MODELS, Defaults, Strict
from routing.route.engine import rule_errors

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

    from routing.config.recovery import SetAside
    from routing.config.safe_yaml import ParsedYaml

__all__ = ["CONFIRM_INVOKE_SECONDS", "ConfigInvalidError", "ConfigIssue", "ValidationResult", "load_directory"]

SCHEMA_VERSION = 1
SECTIONS = ("defaults", *SECTION_MODELS)
#: Parameters the deployed flows pass to ``route`` (contact_flows/*.json; a flow test keeps this in step): inbound
#: passes ``trunkline_flow`` and, for chat/task/email, ``entry_key``; the transfer flow passes ``trunkline_flow``.
FLOW_PARAMETERS = frozenset({"trunkline_flow", "entry_key"})


@dataclass(slots=True)
class ValidationResult:
    """The normalized document when valid, else the issues (all of them)."""

    document: dict[str, Any] | None
    issues: list[ConfigIssue] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    warnings: list[ConfigIssue] = field(default_factory=list)  # worth a look, never blocks publishing

    @property
    def ok(self) -> bool:
        """True when the document can be published."""
        return self.document is not None and not self.issues


class ConfigInvalidError(ValueError):
    """Raised by callers that need a valid document and got issues."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        super().__init__("\n".join(str(i) for i in issues))
        self.issues = issues


def canonical_json(document: Mapping[str, Any]) -> str:
    """The one serialization that is hashed and published: sorted keys, no spaces, UTF-8."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(document: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON."""
    return hashlib.sha256(canonical_json(document).encode()).hexdigest()


def load_directory(path: str | Path) -> ValidationResult:
    """Read every ``*.yaml``/``*.yml``/``*.json`` below ``path`` and validate them together.

    Files are read through ``routing.config.safe_yaml``: size and nesting capped, anchors, aliases and duplicate
    keys refused (docs/configuration.md, "Loading rules"). A syntax error sets aside the item holding it and the
    rest of the file is still checked; a file that cannot be read at all is reported once, and references into it
    are then not reported as unknown.
    """
    root = Path(path)
    sources: list[Source] = []
    issues: list[ConfigIssue] = []
    set_aside: list[tuple[str, SetAside]] = []
    unreadable = False
    if not root.is_dir():
        return ValidationResult(None, [ConfigIssue(str(root), "", "config directory not found")])
    files = sorted(p for p in root.rglob("*") if p.suffix in {".yaml", ".yml", ".json"} and p.is_file())
    total = 0
    for file in files:
        parsed, issue = _read_file(file, total)
        total += file.stat().st_size
        if issue is not None:
            issues.append(issue)
            unreadable = True
            continue
        assert parsed is not None
        name = str(file)
        for part in parsed.set_aside:
            path_text = f"{part.section}[{part.key}]" if part.key else part.section
            issues.append(ConfigIssue(name, path_text, part.message, part.line, part.column))
            set_aside.append((name, part))
        for problem in parsed.problems:
            path_text = keyed_path(parsed.content, problem.loc)
            issues.append(ConfigIssue(name, path_text, problem.message, problem.line, problem.column))
        sources.append(Source(name, parsed.content, parsed.positions))
    result = load_sources(sources, check_references=not unreadable, set_aside=set_aside)
    result.issues[:0] = issues
    result.files = [str(f) for f in files]
    if not files:
        result.issues.append(ConfigIssue(str(root), "", "no config files (*.yaml, *.yml, *.json) found"))
    if result.issues:
        result.document = None
    return result


def _read_file(file: Path, read_so_far: int) -> tuple[ParsedYaml | None, ConfigIssue | None]:
    """One file parsed, or the issue that refuses it whole (checked before reading where it can be)."""
    import yaml

    from routing.config.safe_yaml import (
        MAX_FILE_BYTES,
        MAX_TOTAL_BYTES,
        ConfigSyntaxError,
        ParsedYaml,
        Positions,
        load_json,
        parse_yaml,
    )

    name = str(file)
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, ConfigIssue(name, "", f"file is {size:,} bytes, above the {MAX_FILE_BYTES:,}-byte cap")
        if read_so_far + size > MAX_TOTAL_BYTES:
            return None, ConfigIssue(name, "", f"config files total above the {MAX_TOTAL_BYTES:,}-byte cap")
        text = file.read_text(encoding="utf-8")
        if file.suffix == ".json":
            content = load_json(text)
            return ParsedYaml(content, Positions(content)), None  # JSON carries no positions: paths only
        return parse_yaml(text), None
    except ConfigSyntaxError as exc:
        return None, ConfigIssue(name, "", exc.message, exc.line, exc.column)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        return None, ConfigIssue(name, "", f"cannot parse: {exc.problem or exc}", line, column)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError, yaml.YAMLError) as exc:
        return None, ConfigIssue(name, "", f"cannot parse: {exc}")


def document_to_sources(document: Mapping[str, Any], name: str = "<document>") -> list[tuple[str, object]]:
    """Turn a normalized document back into one source (lists of items), to re-validate an edited document."""
    content: dict[str, Any] = {"defaults": document.get("defaults")}
    for section in SECTION_MODELS:
        content[section] = list((document.get(section) or {}).values())
    return [(name, content)]


def validate_document(document: Mapping[str, Any]) -> ValidationResult:
    """Validate a normalized document (e.g. one edited through the admin API): keyed paths, no lines."""
    return load_sources(document_to_sources(document))


class _AnyQueue(dict[str, str]):
    """Every queue key "exists" (with no id): rule checks when a file could not be read and keys are unknown."""

    def __contains__(self, key: object) -> bool:
        return True

    def __missing__(self, key: str) -> str:
        return ""


def load_sources(
    sources: Iterable[tuple[str, object] | Source],
    *,
    check_references: bool = True,
    set_aside: Iterable[tuple[str, SetAside]] = (),
) -> ValidationResult:
    """Validate parsed files: ``(file name, content)`` pairs or ``Source``s (which add lines).

    ``check_references=False`` when some file could not be read: every "unknown queue/ruleset/…" would then be
    noise about the items that file holds. ``set_aside``: parts of files left out after a syntax error; their keys
    count as existing (their error is reported once, by the caller).
    """
    state = _State()
    for source in sources:
        state.add(source if isinstance(source, Source) else Source(*source))
    for name, part in set_aside:
        state.known.setdefault(part.section, set()).update(part.keys)
        # A defaults section set aside still counts (else "exactly one defaults section" is a knock-on), once
        if part.section == "defaults" and name not in state.defaults_files:
            state.defaults_files.append(name)
    issues = state.issues
    if len(state.defaults_files) != 1:
        files = ", ".join(state.defaults_files) or "none"
        issues.append(
            ConfigIssue("<config>", "defaults", f"exactly one defaults section is required (found in: {files})")
        )

    document: dict[str, Any] = {"schema": SCHEMA_VERSION}
    # exclude_none: a centre without callback_policy keeps the document (and content hash) it had before the field
    document["defaults"] = state.defaults.model_dump(mode="json", exclude_none=True) if state.defaults else {}
    for section in SECTION_MODELS:
        document[section] = {
            k: v.model_dump(mode="json", exclude_none=True) for k, v in sorted(state.items[section].items())
        }

    known = {s: state.known.get(s, set()) for s in SECTION_MODELS}
    if check_references:
        issues.extend(reference_issues(document, state.where, state.defaults_at, known))
    # Rule errors too, even when other problems were found: every problem is reported in one pass. A queue that
    # exists but is invalid (or set aside) is a placeholder, so metrics.<queue> on it is not "unknown".
    queue_ids: dict[str, str] = {k: q["queue_id"] for k, q in document["queues"].items()}
    queue_ids = _AnyQueue(queue_ids) if not check_references else {**dict.fromkeys(known["queues"], ""), **queue_ids}
    for ruleset_key, err in rule_errors(document, queue_ids):
        source, loc = state.where[("rulesets", ruleset_key)]
        message, nearest = _with_queue_suggestion(err.message, document["queues"])
        issues.append(source.issue((*loc, *path_loc(err.path)), message, nearest))
    return ValidationResult(None if issues else document, issues, warnings=_warnings(document, state.where))


def _with_queue_suggestion(message: str, queues: Mapping[str, Any]) -> tuple[str, str | None]:
    """A rule's ``metrics.<queue>`` error (routing.route.rules says "unknown queue 'x'") with the nearest queue."""
    match = _UNKNOWN_QUEUE.search(message)
    nearest = suggest(match.group(1), queues) if match else None
    return (f"{message} (did you mean {nearest!r}?)" if nearest else message), nearest


_UNKNOWN_QUEUE = re.compile(r"unknown queue '([^']*)'$")


class _State:
    """What ``load_sources`` gathers while it reads the sources one by one."""

    def __init__(self) -> None:
        self.issues: list[ConfigIssue] = []
        self.defaults: Defaults | None = None
        self.defaults_at: tuple[Source, tuple[Any, ...]] | None = None
        self.defaults_files: list[str] = []  # every file with a defaults section, valid or not
        self.items: dict[str, dict[str, Strict]] = {s: {} for s in SECTION_MODELS}
        # Keys that exist but are not in items (failed validation, set aside): references to them are not
        # "unknown" (their own errors are reported).
        self.known: dict[str, set[str]] = {}
        self.where: dict[tuple[str, str], tuple[Source, tuple[Any, ...]]] = {}

    def add(self, source: Source) -> None:
        content = source.content
        if content is None:
            return
        if not isinstance(content, Mapping):
            self.issues.append(source.issue((), "a config file is a mapping of sections"))
            return
        for section, body in content.items():
            if section not in SECTIONS:
                nearest = suggest(section, SECTIONS)
                hint = f"did you mean {nearest!r}?" if nearest else f"one of {', '.join(SECTIONS)}"
                self.issues.append(source.issue((section,), f"unknown section ({hint})", nearest))
            elif section == "defaults":
                self.defaults_files.append(source.name)
                try:
                    defaults = Defaults.model_validate(body)
                except ValidationError as exc:
                    self.issues.extend(source.issue(("defaults", *e["loc"]), *_reason(e)) for e in exc.errors())
                    continue
                if self.defaults is None:
                    self.defaults, self.defaults_at = defaults, (source, ("defaults",))
            elif body is None:
                continue
            elif not isinstance(body, list):
                self.issues.append(source.issue((section,), "a section is a list of items"))
            else:
                for i, raw in enumerate(body):
                    self._add_item(source, section, i, raw)

    def _add_item(self, source: Source, section: str, i: int, raw: object) -> None:
        try:
            item = SECTION_MODELS[section].model_validate(raw)
        except ValidationError as exc:
            self.issues.extend(source.issue((section, i, *e["loc"]), *_reason(e)) for e in exc.errors())
            if isinstance(raw, Mapping) and isinstance(raw.get("key"), str):
                self.known.setdefault(section, set()).add(raw["key"])
            return
        key: str = item.key  # type: ignore[attr-defined]
        if key in self.items[section]:
            first, first_loc = self.where[(section, key)]
            at = first.issue(first_loc, "")
            place = f"{at.file}:{at.line}" if at.line is not None else f"{at.file}: {at.path}"
            self.issues.append(source.issue((section, i, "key"), f"duplicate key {key!r} (first at {place})"))
            return
        self.items[section][key] = item
        self.where[(section, key)] = (source, (section, i))


def _field_names() -> frozenset[str]:
    """Every field name of the schema's models, to suggest one for a mistyped field."""
    from pydantic import BaseModel

    from routing.config import schema

    models = [m for m in vars(schema).values() if isinstance(m, type) and issubclass(m, BaseModel)]
    return frozenset(name for model in models for name in model.model_fields)


def _reason(error: ErrorDetails) -> tuple[str, str | None]:
    """A pydantic error as ``(reason, suggestion)``: an unknown field names itself and the nearest known one."""
    if error["type"] == "extra_forbidden" and error["loc"]:
        name = str(error["loc"][-1])
        nearest = suggest(name, _field_names())
        return f"unknown field {name!r}" + (f" (did you mean {nearest!r}?)" if nearest else ""), nearest
    if error["type"] == "value_error":  # our validators' own words; pydantic's prefix is noise in a browser
        return error["msg"].removeprefix("Value error, "), None
    return error["msg"], None


def _parameter_fields(spec: object) -> set[str]:
    """``parameters.<name>`` names a condition tree reads."""
    if isinstance(spec, Mapping):
        found = set()
        name = spec.get("field")
        if isinstance(name, str) and name.startswith("parameters."):
            found.add(name.split(".", 1)[1])
        for value in spec.values():
            found |= _parameter_fields(value)
        return found
    if isinstance(spec, list):
        return {f for item in spec for f in _parameter_fields(item)}
    return set()


def _warnings(doc: Mapping[str, Any], where: Where) -> list[ConfigIssue]:
    """Valid but suspicious: rules on flow parameters no deployed flow passes, languages with no voice."""
    warnings: list[ConfigIssue] = []
    for key, ruleset in doc.get("rulesets", {}).items():
        for i, rule in enumerate(ruleset.get("rules", [])):
            for name in sorted(_parameter_fields(rule.get("when")) - FLOW_PARAMETERS):
                source, loc = where[("rulesets", key)]
                warnings.append(
                    source.issue(
                        (*loc, "rules", i, "when"),
                        f"rule {rule.get('id')!r} reads parameters.{name}, which no deployed flow passes "
                        f"(they pass {', '.join(sorted(FLOW_PARAMETERS))}): it can only match through `invoke`",
                    )
                )
    languages = doc.get("defaults", {}).get("languages") or {}
    for key, entry in doc.get("entry_points", {}).items():
        language = entry.get("language") or ""
        if language and language not in languages and not language.lower().startswith("en"):
            source, loc = where[("entry_points", key)]
            message = f"{language!r} has no defaults.languages entry: callers hear English"
            warnings.append(source.issue((*loc, "language"), message))
    return warnings
