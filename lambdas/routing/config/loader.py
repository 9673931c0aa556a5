"""Load config files, validate them (schema + references + rules), and produce the normalized document.

Every problem is reported at once as ``file: path: reason`` so an author can fix them all in one pass.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from routing.config.schema import SECTION_MODELS, Defaults, Strict
from routing.route.engine import rule_errors

SCHEMA_VERSION = 1
SECTIONS = ("defaults", *SECTION_MODELS)
#: Parameters the deployed flows pass to ``route`` (contact_flows/*.json; a flow test keeps this in step): inbound
#: passes ``trunkline_flow`` and, for chat/task/email, ``entry_key``; the transfer flow passes ``trunkline_flow``.
FLOW_PARAMETERS = frozenset({"trunkline_flow", "entry_key"})
#: The flow's confirm call limit (InvocationTimeLimitSeconds of ConfirmCallback), part of the confirmation time.
CONFIRM_INVOKE_SECONDS = 3


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One validation error, located."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}"


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


def _loc(loc: Iterable[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_directory(path: str | Path) -> ValidationResult:
    """Read every ``*.yaml``/``*.yml``/``*.json`` below ``path`` and validate them together.

    Files are read through ``routing.config.safe_yaml``: size and nesting capped, anchors, aliases and duplicate
    keys refused, each as ``file: line N: reason`` (docs/configuration.md, "Loading limits").
    """
    root = Path(path)
    sources: list[tuple[str, object]] = []
    issues: list[ConfigIssue] = []
    if not root.is_dir():
        return ValidationResult(None, [ConfigIssue(str(root), "", "config directory not found")])
    files = sorted(p for p in root.rglob("*") if p.suffix in {".yaml", ".yml", ".json"} and p.is_file())
    total = 0
    for file in files:
        content, issue = _read_file(file, total)
        total += file.stat().st_size
        if issue is not None:
            issues.append(issue)
            continue
        sources.append((str(file), content))
    result = load_sources(sources, check_references=not issues)
    result.issues[:0] = issues
    result.files = [str(f) for f in files]
    if not files:
        result.issues.append(ConfigIssue(str(root), "", "no config files (*.yaml, *.yml, *.json) found"))
    if result.issues:
        result.document = None
    return result


def _read_file(file: Path, read_so_far: int) -> tuple[object, ConfigIssue | None]:
    """One file's content, or the issue that refuses it (checked before reading where it can be)."""
    import yaml

    from routing.config.safe_yaml import MAX_FILE_BYTES, MAX_TOTAL_BYTES, ConfigSyntaxError, load_json, load_yaml

    name = str(file)
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, ConfigIssue(name, "", f"file is {size:,} bytes, above the {MAX_FILE_BYTES:,}-byte cap")
        if read_so_far + size > MAX_TOTAL_BYTES:
            return None, ConfigIssue(name, "", f"config files total above the {MAX_TOTAL_BYTES:,}-byte cap")
        text = file.read_text(encoding="utf-8")
        return (load_json(text) if file.suffix == ".json" else load_yaml(text)), None
    except ConfigSyntaxError as exc:
        return None, ConfigIssue(name, f"line {exc.line}" if exc.line else "", exc.message)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError, yaml.YAMLError) as exc:
        return None, ConfigIssue(name, "", f"cannot parse: {exc}")


def document_to_sources(document: Mapping[str, Any], name: str = "<document>") -> list[tuple[str, object]]:
    """Turn a normalized document back into one source (lists of items), to re-validate an edited document."""
    content: dict[str, Any] = {"defaults": document.get("defaults")}
    for section in SECTION_MODELS:
        content[section] = list((document.get(section) or {}).values())
    return [(name, content)]


def validate_document(document: Mapping[str, Any]) -> ValidationResult:
    """Validate a normalized document (e.g. one edited through the admin API)."""
    return load_sources(document_to_sources(document))


def load_sources(sources: Iterable[tuple[str, object]], *, check_references: bool = True) -> ValidationResult:
    """Validate parsed files: ``(file name, content)`` pairs. ``check_references=False`` when some file could not
    be read: every "unknown queue/ruleset/…" would then be noise about the items that file holds."""
    issues: list[ConfigIssue] = []
    defaults: list[tuple[str, Defaults]] = []
    defaults_files: list[str] = []  # every file with a defaults section, valid or not
    items: dict[str, dict[str, Strict]] = {s: {} for s in SECTION_MODELS}
    # Keys of items that failed validation: their own errors are reported, references to them are not "unknown".
    invalid: dict[str, set[str]] = {s: set() for s in SECTION_MODELS}
    where: dict[tuple[str, str], tuple[str, str]] = {}  # (section, key) → (file, path)

    for name, content in sources:
        if content is None:
            continue
        if not isinstance(content, Mapping):
            issues.append(ConfigIssue(name, "", "a config file is a mapping of sections"))
            continue
        for section, body in content.items():
            if section not in SECTIONS:
                issues.append(ConfigIssue(name, str(section), f"unknown section (one of {', '.join(SECTIONS)})"))
                continue
            if section == "defaults":
                defaults_files.append(name)
                try:
                    defaults.append((name, Defaults.model_validate(body)))
                except ValidationError as exc:
                    issues.extend(ConfigIssue(name, _loc(("defaults", *e["loc"])), e["msg"]) for e in exc.errors())
                continue
            if body is None:
                continue
            if not isinstance(body, list):
                issues.append(ConfigIssue(name, section, "a section is a list of items"))
                continue
            model = SECTION_MODELS[section]
            for i, raw in enumerate(body):
                path = f"{section}[{i}]"
                try:
                    item = model.model_validate(raw)
                except ValidationError as exc:
                    issues.extend(ConfigIssue(name, _loc((section, i, *e["loc"])), e["msg"]) for e in exc.errors())
                    if isinstance(raw, Mapping) and isinstance(raw.get("key"), str):
                        invalid[section].add(raw["key"])
                    continue
                key: str = item.key  # type: ignore[attr-defined]
                if key in items[section]:
                    first_file, first_path = where[(section, key)]
                    issues.append(
                        ConfigIssue(
                            name,
                            f"{path}.key",
                            f"duplicate key {key!r} (first at {first_file}: {first_path})",
                        )
                    )
                    continue
                items[section][key] = item
                where[(section, key)] = (name, path)

    if len(defaults_files) != 1:
        files = ", ".join(defaults_files) or "none"
        issues.append(
            ConfigIssue("<config>", "defaults", f"exactly one defaults section is required (found in: {files})")
        )

    document: dict[str, Any] = {"schema": SCHEMA_VERSION}
    document["defaults"] = defaults[0][1].model_dump(mode="json") if defaults else {}
    for section in SECTION_MODELS:
        document[section] = {k: v.model_dump(mode="json", exclude_none=True) for k, v in sorted(items[section].items())}

    if check_references:
        issues.extend(_reference_issues(document, where, defaults[0][0] if defaults else "<config>", invalid))
    # Rule errors too, even when other problems were found: every problem is reported in one pass.
    placeholders = {k: {"queue_id": ""} for k in invalid["queues"] - set(document["queues"])}
    for ruleset_key, err in rule_errors({**document, "queues": {**document["queues"], **placeholders}}):
        file, path = where[("rulesets", ruleset_key)]
        issues.append(ConfigIssue(file, f"{path}.{err.path}", err.message))
    return ValidationResult(None if issues else document, issues, warnings=_warnings(document, where))


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


def _warnings(doc: Mapping[str, Any], where: Mapping[tuple[str, str], tuple[str, str]]) -> list[ConfigIssue]:
    """Valid but suspicious: rules on flow parameters no deployed flow passes, languages with no voice."""
    warnings: list[ConfigIssue] = []
    for key, ruleset in doc.get("rulesets", {}).items():
        for i, rule in enumerate(ruleset.get("rules", [])):
            for name in sorted(_parameter_fields(rule.get("when")) - FLOW_PARAMETERS):
                file, path = where[("rulesets", key)]
                warnings.append(
                    ConfigIssue(
                        file,
                        f"{path}.rules[{i}].when",
                        f"rule {rule.get('id')!r} reads parameters.{name}, which no deployed flow passes "
                        f"(they pass {', '.join(sorted(FLOW_PARAMETERS))}): it can only match through `invoke`",
                    )
                )
    languages = doc.get("defaults", {}).get("languages") or {}
    for key, entry in doc.get("entry_points", {}).items():
        language = entry.get("language") or ""
        if language and language not in languages and not language.lower().startswith("en"):
            file, path = where[("entry_points", key)]
            warnings.append(
                ConfigIssue(
                    file, f"{path}.language", f"{language!r} has no defaults.languages entry: callers hear English"
                )
            )
    return warnings


# What an item of each section is called in messages ("lines_of_business".rstrip("s") would say "busine").
_KIND = {
    "lines_of_business": "line of business",
    "queues": "queue",
    "entry_points": "entry point",
    "schedules": "schedule",
    "rulesets": "ruleset",
    "callback_policies": "callback policy",
    "callback_profiles": "callback profile",
}


def _reference_issues(
    doc: Mapping[str, Any],
    where: Mapping[tuple[str, str], tuple[str, str]],
    defaults_file: str,
    invalid: Mapping[str, set[str]],
) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []

    def ref(section: str, key: str, attr: str, target_section: str, value: object) -> None:
        if value is None or value in doc[target_section] or value in invalid[target_section]:
            return
        file, path = where[(section, key)]
        kind = _KIND[target_section]
        issues.append(ConfigIssue(file, f"{path}.{attr}", f"unknown {kind} {value!r}"))

    default_queue = doc["defaults"].get("default_queue")
    if default_queue is not None and default_queue not in doc["queues"] and default_queue not in invalid["queues"]:
        issues.append(ConfigIssue(defaults_file, "defaults.default_queue", f"unknown queue {default_queue!r}"))
    for key, lob in doc["lines_of_business"].items():
        ref("lines_of_business", key, "schedule", "schedules", lob.get("schedule"))
        ref("lines_of_business", key, "default_queue", "queues", lob.get("default_queue"))
        ref("lines_of_business", key, "callback_policy", "callback_policies", lob.get("callback_policy"))
    seen_ids: dict[str, str] = {}
    for key, q in doc["queues"].items():
        ref("queues", key, "line_of_business", "lines_of_business", q.get("line_of_business"))
        ref("queues", key, "hours", "schedules", q.get("hours"))
        ref("queues", key, "callback_policy", "callback_policies", q.get("callback_policy"))
        ref("queues", key, "transfer_queue", "queues", q.get("transfer_queue"))
        if q["queue_id"] in seen_ids:
            file, path = where[("queues", key)]
            issues.append(
                ConfigIssue(file, f"{path}.queue_id", f"queue_id already used by queue {seen_ids[q['queue_id']]!r}")
            )
        seen_ids.setdefault(q["queue_id"], key)
    numbers: dict[str, str] = {}
    entry_keys: dict[str, str] = {}
    for key, e in doc["entry_points"].items():
        ref("entry_points", key, "line_of_business", "lines_of_business", e.get("line_of_business"))
        ref("entry_points", key, "ruleset", "rulesets", e.get("ruleset"))
        ref("entry_points", key, "schedule", "schedules", e.get("schedule"))
        file, path = where[("entry_points", key)]
        for attr, seen in (("dialed_number", numbers), ("entry_key", entry_keys)):
            value = e.get(attr)
            if value is None:
                continue
            if value in seen:
                issues.append(
                    ConfigIssue(file, f"{path}.{attr}", f"{value!r} already used by entry point {seen[value]!r}")
                )
            seen.setdefault(value, key)
    for key, rs in doc["rulesets"].items():
        targets = [(f"rules[{i}].then", r["then"]) for i, r in enumerate(rs.get("rules", []))]
        targets.append(("default", rs["default"]))
        for tpath, target in targets:
            ref("rulesets", key, f"{tpath}.queue", "queues", target.get("queue"))
            for j, fb in enumerate(target.get("fallbacks", [])):
                ref("rulesets", key, f"{tpath}.fallbacks[{j}].queue", "queues", fb.get("queue"))
    for key, p in doc["callback_policies"].items():
        ref("callback_policies", key, "schedule", "schedules", p.get("schedule"))
        ref("callback_policies", key, "profile", "callback_profiles", p.get("profile"))
    issues.extend(_callback_delay_issues(doc, where))
    return issues


def _callback_delay_issues(
    doc: Mapping[str, Any], where: Mapping[tuple[str, str], tuple[str, str]]
) -> list[ConfigIssue]:
    """A callback must not ring while its caller still hears the confirmation: the profile's initial delay
    covers the confirm call and the longest confirmation prompt of any language."""
    from routing.route.prompts import DEFAULT_PROMPTS, speech_seconds

    texts = [DEFAULT_PROMPTS["callback_confirmed"]]
    texts += [
        str(lang["prompts"]["callback_confirmed"])
        for lang in (doc["defaults"].get("languages") or {}).values()
        if (lang.get("prompts") or {}).get("callback_confirmed")
    ]
    needed = math.ceil(CONFIRM_INVOKE_SECONDS + max(speech_seconds(t) for t in texts))
    issues = []
    for key, profile in doc["callback_profiles"].items():
        if profile["initial_delay_seconds"] < needed:
            file, path = where[("callback_profiles", key)]
            issues.append(
                ConfigIssue(
                    file,
                    f"{path}.initial_delay_seconds",
                    f"{profile['initial_delay_seconds']} s is shorter than the confirmation ({needed} s: the confirm "
                    "call and the longest confirmation prompt); the callback would ring while the caller listens",
                )
            )
    return issues
