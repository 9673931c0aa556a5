"""Config validation (routing.config): every problem named as file + path + reason, all of them at once.

Each test starts from a small valid config directory (written to tmp_path) and breaks one thing, so the issue it
expects is the only one reported.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from routing.config.loader import ConfigIssue, canonical_json, content_hash, load_directory, validate_document

BASE: dict[str, dict[str, Any]] = {
    "defaults.yaml": {"defaults": {"default_queue": "general", "time_zone": "America/New_York"}},
    "lines_of_business.yaml": {
        "lines_of_business": [
            {
                "key": "cards",
                "name": "Cards",
                "schedule": "cards_hours",
                "default_queue": "general",
                "callback_policy": "cb",
            }
        ]
    },
    "queues.yaml": {
        "queues": [
            {"key": "general", "queue_id": "qid-general", "name": "General", "attributes": {"greeting": "hello"}},
            {"key": "vip", "queue_id": "qid-vip", "name": "VIP", "line_of_business": "cards", "hours": "cards_hours"},
        ]
    },
    "entry_points.yaml": {
        "entry_points": [
            {"key": "main", "dialed_number": "+18005550100", "line_of_business": "cards", "ruleset": "cards"},
            {
                "key": "chat",
                "channel": "CHAT",
                "entry_key": "web_chat",
                "line_of_business": "cards",
                "ruleset": "cards",
            },
        ]
    },
    "schedules.yaml": {
        "schedules": [
            {
                "key": "cards_hours",
                "time_zone": "America/New_York",
                "weekly": {"mon": ["08:00-20:00"]},
                "holidays": [{"date": "2026-12-25", "name": "Christmas"}],
            }
        ]
    },
    "callback.yaml": {
        "callback_profiles": [
            {"key": "std", "initial_delay_seconds": 20, "max_attempts": 2, "retry_delay_seconds": 60}
        ],
        "callback_policies": [{"key": "cb", "offer": "wait_above", "wait_seconds": 300, "profile": "std"}],
    },
    "rulesets/cards.yaml": {
        "rulesets": [
            {
                "key": "cards",
                "rules": [
                    {
                        "id": "vip",
                        "when": {"field": "attributes.tier", "op": "equals", "value": "vip"},
                        "then": {"classification": "vip", "queue": "vip"},
                    },
                    {
                        "id": "busy",
                        "when": {"field": "metrics.general.contacts_in_queue", "op": "gt", "value": 5},
                        "then": {"classification": "busy", "queue": "vip"},
                    },
                ],
                "default": {
                    "classification": "general",
                    "queue": "general",
                    "fallbacks": [{"queue": "vip", "when": "wait_above", "seconds": 60}],
                },
            }
        ]
    },
}


class NoAliases(yaml.SafeDumper):
    """Writes a shared object twice instead of an anchor and an alias (which config loading refuses)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def write_config(root: Path, files: dict[str, Any]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else yaml.dump(content, Dumper=NoAliases, sort_keys=False))
    return root


def config_with(tmp_path: Path, **changes: Any) -> list[ConfigIssue]:
    """Write BASE with the given files replaced (``name__yaml`` for ``name.yaml``), return the issues."""
    files: dict[str, Any] = json.loads(json.dumps(BASE))
    for key, content in changes.items():
        name = key.replace("__", ".").replace("_SLASH_", "/")
        if content is None:
            files.pop(name)
        else:
            files[name] = content
    result = load_directory(write_config(tmp_path, files))
    assert (result.document is None) is bool(result.issues)
    return result.issues


def edited(name: str, edit: Any) -> dict[str, Any]:
    """A copy of one BASE file after ``edit(content)``."""
    content: dict[str, Any] = json.loads(json.dumps(BASE[name]))
    edit(content)
    return content


def only_issue(issues: list[ConfigIssue]) -> ConfigIssue:
    assert len(issues) == 1, "\n".join(map(str, issues))
    return issues[0]


def assert_issue(issues: list[ConfigIssue], file: str, path: str, reason: str) -> None:
    found = [i for i in issues if i.file.endswith(file) and i.path == path and reason in i.message]
    assert found, f"no {file}: {path}: …{reason}… in\n" + "\n".join(map(str, issues))
    line = f":{found[0].line}:{found[0].column}" if found[0].line is not None else ""
    assert str(found[0]) == f"{found[0].file}{line}: {path}: {found[0].message}"


def test_the_base_config_is_valid(tmp_path: Path) -> None:
    assert config_with(tmp_path) == []


# --- all errors at once --------------------------------------------------------------------------------------


def test_several_broken_files_report_every_problem_at_once(tmp_path: Path) -> None:
    # Given five files, each broken in its own way
    issues = config_with(
        tmp_path,
        defaults__yaml={"defaults": {"default_queue": "general", "time_zone": "Mars/Olympus"}},
        queues__yaml=edited("queues.yaml", lambda c: c["queues"][0]["attributes"].update(status="x")),
        entry_points__yaml=edited(
            "entry_points.yaml", lambda c: c["entry_points"][0].update(dialed_number="8005550100")
        ),
        schedules__yaml=edited("schedules.yaml", lambda c: c["schedules"][0]["weekly"].update(tue=["20:00-08:00"])),
        rulesets_SLASH_cards__yaml=edited(
            "rulesets/cards.yaml",
            lambda c: c["rulesets"][0]["rules"][0]["when"].update(op="regex", value="(unclosed"),
        ),
        extra__yaml="surprise: {}\n",
    )
    # Then each is listed with its file, its path and the reason — including the rule error
    assert_issue(issues, "defaults.yaml", "defaults.time_zone", "unknown time zone 'Mars/Olympus'")
    assert_issue(issues, "queues.yaml", "queues[general].attributes", "'status' is reserved")
    assert_issue(issues, "entry_points.yaml", "entry_points[main].dialed_number", "not an E.164 number")
    assert_issue(issues, "schedules.yaml", "schedules[cards_hours].weekly", "ends before it starts")
    assert_issue(issues, "rulesets/cards.yaml", "rulesets[cards].rules[vip].when.value", "invalid regex")
    assert_issue(issues, "extra.yaml", "surprise", "unknown section (one of defaults, lines_of_business, queues")


def test_schema_reference_and_rule_errors_are_reported_together(tmp_path: Path) -> None:
    issues = config_with(
        tmp_path,
        queues__yaml=edited("queues.yaml", lambda c: c["queues"][1].update(hours="nowhere")),
        rulesets_SLASH_cards__yaml=edited(
            "rulesets/cards.yaml",
            lambda c: c["rulesets"][0]["rules"][1]["when"].update(field="metrics.ghost.agents_available"),
        ),
        callback__yaml=edited("callback.yaml", lambda c: c["callback_profiles"][0].update(max_attempts=99)),
    )
    assert_issue(issues, "queues.yaml", "queues[vip].hours", "unknown schedule 'nowhere'")
    assert_issue(issues, "rulesets/cards.yaml", "rulesets[cards].rules[busy].when.field", "unknown queue 'ghost'")
    assert_issue(issues, "callback.yaml", "callback_profiles[std].max_attempts", "less than or equal to 10")
    assert len(issues) == 3


# --- file-level problems -------------------------------------------------------------------------------------


def test_unknown_section(tmp_path: Path) -> None:
    issue = only_issue(config_with(tmp_path, extra__yaml={"queue": []}))
    assert (issue.file.endswith("extra.yaml"), issue.path) == (True, "queue")
    assert (issue.message, issue.suggestion) == ("unknown section (did you mean 'queues'?)", "queues")


def test_unparseable_yaml_names_the_file(tmp_path: Path) -> None:
    issue = only_issue(config_with(tmp_path, broken__yaml="queues: [unclosed\n"))
    assert issue.file.endswith("broken.yaml")
    assert (issue.line, issue.path) == (1, "queues")
    assert "while parsing a flow sequence" in issue.message


@pytest.mark.parametrize(
    ("content", "path", "reason"),
    [
        ("- just\n- a list\n", "", "a config file is a mapping of sections"),
        ("queues: {key: q}\n", "queues", "a section is a list of items"),
        ("queues: [not-a-mapping]\n", "queues[0]", "valid dictionary"),  # no key: its position
    ],
)
def test_malformed_file_shapes(tmp_path: Path, content: str, path: str, reason: str) -> None:
    assert_issue(config_with(tmp_path, extra__yaml=content), "extra.yaml", path, reason)


def test_json_files_are_config_too(tmp_path: Path) -> None:
    issues = config_with(tmp_path, queues__yaml=None, **{"queues.json": json.dumps(BASE["queues.yaml"])})
    assert issues == []


def test_a_missing_or_empty_directory(tmp_path: Path) -> None:
    missing = load_directory(tmp_path / "nope")
    assert [(i.path, i.message) for i in missing.issues] == [("", "config directory not found")]
    empty = load_directory(tmp_path)
    assert any("no config files" in i.message for i in empty.issues)
    assert not empty.ok


# --- keys and defaults ---------------------------------------------------------------------------------------


def test_a_key_duplicated_across_files_names_both_places(tmp_path: Path) -> None:
    issue = only_issue(
        config_with(tmp_path, zz_queues__yaml={"queues": [{"key": "vip", "queue_id": "qid-other", "name": "Dup"}]})
    )
    # zz_queues.yaml is read after queues.yaml: its item is the duplicate
    assert (issue.file.endswith("zz_queues.yaml"), issue.path) == (True, "queues[vip].key")
    assert "duplicate key 'vip'" in issue.message
    assert f"{tmp_path / 'queues.yaml'}:7)" in issue.message  # where the first one is (file:line)


def test_missing_defaults(tmp_path: Path) -> None:
    issue = only_issue(config_with(tmp_path, defaults__yaml=None))
    assert issue.path == "defaults"
    assert "exactly one defaults section" in issue.message
    assert "none" in issue.message


def test_duplicate_defaults_name_both_files(tmp_path: Path) -> None:
    issue = only_issue(config_with(tmp_path, more__yaml={"defaults": {"default_queue": "vip"}}))
    assert issue.path == "defaults"
    assert "defaults.yaml" in issue.message
    assert "more.yaml" in issue.message


@pytest.mark.parametrize(
    ("file", "edit", "path", "reason"),
    [
        (
            "defaults.yaml",
            lambda c: c["defaults"].update(time_zone="Mars/Olympus"),
            "defaults.time_zone",
            "unknown time zone",
        ),
        ("defaults.yaml", lambda c: c["defaults"].update(time_zone=""), "defaults.time_zone", "unknown time zone"),
        (
            "schedules.yaml",
            lambda c: c["schedules"][0].update(time_zone="EST5EDT6"),
            "schedules[cards_hours].time_zone",
            "unknown time zone",
        ),
        (
            "schedules.yaml",
            lambda c: c["schedules"][0].update(time_zone="../../etc/passwd"),
            "schedules[cards_hours].time_zone",
            "unknown time zone",
        ),
        ("defaults.yaml", lambda c: c["defaults"].update(country="usa"), "defaults.country", "pattern"),
        (
            "defaults.yaml",
            lambda c: c["defaults"].update(colour="red"),
            "defaults.colour",
            "unknown field",
        ),
        (
            "queues.yaml",
            lambda c: c["queues"][0].update(queue_id="arn:aws:connect:x"),
            "queues[general].queue_id",
            "pattern",
        ),
        (
            "queues.yaml",
            lambda c: c["queues"][0].update(capacity=0),
            "queues[general].capacity",
            "greater than or equal to 1",
        ),
        ("queues.yaml", lambda c: c["queues"][0].update(hour="x"), "queues[general].hour", "unknown field"),
        (
            "queues.yaml",
            lambda c: c["queues"][1].update(queue_id="qid-general"),
            "queues[vip].queue_id",
            "already used by queue 'general'",
        ),
    ],
)
def test_field_problems(tmp_path: Path, file: str, edit: Any, path: str, reason: str) -> None:
    # An invalid item is reported once, at its own path: references to it are not reported as unknown.
    issue = only_issue(config_with(tmp_path, **{file.replace(".", "__"): edited(file, edit)}))
    assert issue.file.endswith(file)
    assert issue.path == path
    assert reason in issue.message


@pytest.mark.parametrize("key", ["General Queue", "UPPER", "-lead", "a" * 65, ""])
def test_keys_are_lowercase_identifiers(tmp_path: Path, key: str) -> None:
    issue = only_issue(config_with(tmp_path, more__yaml={"queues": [{"key": key, "queue_id": "qid-x", "name": "X"}]}))
    # the path names the item by the key as written (its position when there is none)
    assert (issue.file.endswith("more.yaml"), issue.path) == (True, f"queues[{key or 0}].key")
    assert "pattern" in issue.message


# --- entry points --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("8005550100", "not an E.164 number"),
        ("+1 800 555 0100", "not in E.164 form (expected '+18005550100')"),
        ("+1-800-555-0100", "not in E.164 form"),
        ("+180055501", "E.164"),  # too short to be a US number
        ("tel:+18005550100", "E.164"),
    ],
)
def test_dialed_numbers_must_be_e164(tmp_path: Path, number: str, reason: str) -> None:
    entry = edited("entry_points.yaml", lambda c: c["entry_points"][0].update(dialed_number=number))
    issue = only_issue(config_with(tmp_path, entry_points__yaml=entry))
    assert (issue.path, reason in issue.message) == ("entry_points[main].dialed_number", True), str(issue)


@pytest.mark.parametrize(
    ("change", "path", "reason"),
    [
        ({"dialed_number": None}, "entry_points[main]", "needs a dialed_number (voice) or an entry_key"),
        ({"channel": "CHAT"}, "entry_points[main]", "a CHAT entry point is reached by entry_key"),
        ({"channel": "SMS"}, "entry_points[main].channel", "VOICE"),
        ({"entry_key": "web chat"}, "entry_points[main].entry_key", "pattern"),
    ],
)
def test_entry_point_addressing(tmp_path: Path, change: dict[str, Any], path: str, reason: str) -> None:
    def edit(c: dict[str, Any]) -> None:
        c["entry_points"][0].update(change)
        c["entry_points"][0] = {k: v for k, v in c["entry_points"][0].items() if v is not None}

    issue = only_issue(config_with(tmp_path, entry_points__yaml=edited("entry_points.yaml", edit)))
    assert (issue.path, reason in issue.message) == (path, True), str(issue)


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("dialed_number", "+18005550100", "'+18005550100' already used by entry point"),
        ("entry_key", "web_chat", "already used"),
    ],
)
def test_an_address_used_twice(tmp_path: Path, field: str, value: str, reason: str) -> None:
    extra = {"key": "another", "line_of_business": "cards", "ruleset": "cards", field: value}
    if field == "entry_key":
        extra["channel"] = "CHAT"
    issue = only_issue(config_with(tmp_path, more__yaml={"entry_points": [extra]}))
    assert reason in issue.message
    # One of the two entry points is flagged at its own file and path; the message names the other one.
    flagged_main = issue.file.endswith("entry_points.yaml") and "entry point 'another'" in issue.message
    flagged_another = issue.file.endswith("more.yaml") and "entry point 'main'" in issue.message
    assert flagged_main or flagged_another, str(issue)
    assert issue.path.endswith(f".{field}")


# --- references ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "edit", "path", "reason"),
    [
        (
            "defaults.yaml",
            lambda c: c["defaults"].update(default_queue="nope"),
            "defaults.default_queue",
            "unknown queue 'nope'",
        ),
        (
            "lines_of_business.yaml",
            lambda c: c["lines_of_business"][0].update(schedule="nope"),
            "lines_of_business[cards].schedule",
            "unknown schedule 'nope'",
        ),
        (
            "lines_of_business.yaml",
            lambda c: c["lines_of_business"][0].update(default_queue="nope"),
            "lines_of_business[cards].default_queue",
            "unknown queue 'nope'",
        ),
        (
            "lines_of_business.yaml",
            lambda c: c["lines_of_business"][0].update(callback_policy="nope"),
            "lines_of_business[cards].callback_policy",
            "unknown callback policy 'nope'",
        ),
        (
            "queues.yaml",
            lambda c: c["queues"][1].update(line_of_business="nope"),
            "queues[vip].line_of_business",
            "unknown line of business 'nope'",
        ),
        ("queues.yaml", lambda c: c["queues"][1].update(hours="nope"), "queues[vip].hours", "unknown schedule 'nope'"),
        (
            "queues.yaml",
            lambda c: c["queues"][1].update(callback_policy="nope"),
            "queues[vip].callback_policy",
            "unknown callback policy 'nope'",
        ),
        (
            "entry_points.yaml",
            lambda c: c["entry_points"][0].update(line_of_business="nope"),
            "entry_points[main].line_of_business",
            "unknown line of business 'nope'",
        ),
        (
            "entry_points.yaml",
            lambda c: c["entry_points"][0].update(ruleset="nope"),
            "entry_points[main].ruleset",
            "unknown ruleset 'nope'",
        ),
        (
            "entry_points.yaml",
            lambda c: c["entry_points"][0].update(schedule="nope"),
            "entry_points[main].schedule",
            "unknown schedule 'nope'",
        ),
        (
            "rulesets/cards.yaml",
            lambda c: c["rulesets"][0]["rules"][0]["then"].update(queue="nope"),
            "rulesets[cards].rules[vip].then.queue",
            "unknown queue 'nope'",
        ),
        (
            "rulesets/cards.yaml",
            lambda c: c["rulesets"][0]["default"].update(queue="nope"),
            "rulesets[cards].default.queue",
            "unknown queue 'nope'",
        ),
        (
            "rulesets/cards.yaml",
            lambda c: c["rulesets"][0]["default"]["fallbacks"][0].update(queue="nope"),
            "rulesets[cards].default.fallbacks[0].queue",
            "unknown queue 'nope'",
        ),
        (
            "rulesets/cards.yaml",
            lambda c: c["rulesets"][0]["rules"][1]["when"].update(field="metrics.nope.agents_available"),
            "rulesets[cards].rules[busy].when.field",
            "field 'metrics.nope.agents_available': unknown queue 'nope'",
        ),
        (
            "callback.yaml",
            lambda c: c["callback_policies"][0].update(profile="nope"),
            "callback_policies[cb].profile",
            "unknown callback profile 'nope'",
        ),
        (
            "callback.yaml",
            lambda c: c["callback_policies"][0].update(schedule="nope"),
            "callback_policies[cb].schedule",
            "unknown schedule 'nope'",
        ),
    ],
)
def test_every_kind_of_unknown_reference(tmp_path: Path, file: str, edit: Any, path: str, reason: str) -> None:
    issue = only_issue(config_with(tmp_path, **{file.replace(".", "__").replace("/", "_SLASH_"): edited(file, edit)}))
    assert issue.file.endswith(file)
    assert (issue.path, issue.message) == (path, reason)


# --- attributes ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["status", "queue_arn", "config_version", "callback_offer", "attributes_dropped", "routing_criteria"]
)
def test_reserved_attribute_names_are_refused_on_queues_and_rules(tmp_path: Path, name: str) -> None:
    queue = edited("queues.yaml", lambda c: c["queues"][0]["attributes"].update({name: "x"}))
    rule = edited("rulesets/cards.yaml", lambda c: c["rulesets"][0]["rules"][0]["then"].update(attributes={name: "x"}))
    issues = config_with(tmp_path, queues__yaml=queue, rulesets_SLASH_cards__yaml=rule)
    assert_issue(issues, "queues.yaml", "queues[general].attributes", f"attribute name {name!r} is reserved")
    assert_issue(issues, "rulesets/cards.yaml", "rulesets[cards].rules[vip].then.attributes", f"{name!r} is reserved")


@pytest.mark.parametrize("name", ["has space", "dot.ted", "ünï", "x" * 65])
def test_attribute_names_must_be_reply_keys(tmp_path: Path, name: str) -> None:
    queue = edited("queues.yaml", lambda c: c["queues"][0]["attributes"].update({name: "x"}))
    assert_issue(config_with(tmp_path, queues__yaml=queue), "queues.yaml", "queues[general].attributes", "must match")


def test_attributes_over_budget(tmp_path: Path) -> None:
    big = {f"a{i}": "x" * 1000 for i in range(17)}  # 17 x ~1 KB > 16 KB
    queue = edited("queues.yaml", lambda c: c["queues"][0].update(attributes=big))
    issue = only_issue(config_with(tmp_path, queues__yaml=queue))
    assert issue.path == "queues[general].attributes"
    assert "above the 16384-byte budget" in issue.message
    small = {f"a{i}": "x" * 1000 for i in range(16)}
    assert (
        config_with(tmp_path, queues__yaml=edited("queues.yaml", lambda c: c["queues"][0].update(attributes=small)))
        == []
    )


def test_attribute_values_must_be_strings(tmp_path: Path) -> None:
    queue = edited("queues.yaml", lambda c: c["queues"][0]["attributes"].update(vip=True))
    assert_issue(
        config_with(tmp_path, queues__yaml=queue), "queues.yaml", "queues[general].attributes.vip", "valid string"
    )


# --- hours ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "path", "reason"),
    [
        (lambda s: s["weekly"].update(mon=["20:00-08:00"]), "schedules[cards_hours].weekly", "ends before it starts"),
        (lambda s: s["weekly"].update(mon=["08:00-25:00"]), "schedules[cards_hours].weekly", "HH:MM-HH:MM"),
        (lambda s: s["weekly"].update(mon=["8am-5pm"]), "schedules[cards_hours].weekly", "HH:MM-HH:MM"),
        (
            lambda s: s["weekly"].update(mon=["08:00-12:00", "11:00-14:00"]),
            "schedules[cards_hours].weekly",
            "overlapping hours",
        ),
        (lambda s: s["weekly"].update(monday=["08:00-12:00"]), "schedules[cards_hours].weekly.monday.[key]", "'mon'"),
        (
            lambda s: s["holidays"][0].update(hours=["13:00-09:00"]),
            "schedules[cards_hours].holidays[2026-12-25].hours",
            "ends before it starts",
        ),
        (
            lambda s: s["holidays"][0].update(date="2026-02-30"),
            "schedules[cards_hours].holidays[2026-02-30].date",
            "date",
        ),
        (
            lambda s: s["holidays"].append({"date": "2026-12-25", "name": "again"}),
            "schedules[cards_hours]",
            "a date appears twice",
        ),
        (
            lambda s: s.update(emergency_closures=[{"key": "a", "message": "m"}, {"key": "a", "message": "n"}]),
            "schedules[cards_hours]",
            "emergency closure keys must be unique",
        ),
        (
            lambda s: s.update(emergency_closures=[{"key": "a", "message": ""}]),
            "schedules[cards_hours].emergency_closures[a].message",
            "at least 1",
        ),
    ],
)
def test_bad_hours(tmp_path: Path, edit: Any, path: str, reason: str) -> None:
    schedules = edited("schedules.yaml", lambda c: edit(c["schedules"][0]))
    issue = only_issue(config_with(tmp_path, schedules__yaml=schedules))
    assert (issue.path, reason in issue.message) == (path, True), str(issue)


def test_adjacent_intervals_and_24_00_are_fine(tmp_path: Path) -> None:
    schedules = edited(
        "schedules.yaml", lambda c: c["schedules"][0]["weekly"].update(tue=["00:00-12:00", "12:00-24:00"])
    )
    assert config_with(tmp_path, schedules__yaml=schedules) == []


# --- rules, fallbacks, callback policies ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fallback", "path", "reason"),
    [
        (
            {"queue": "vip", "when": "wait_above"},
            "rulesets[cards].default.fallbacks[0]",
            "fallback when=wait_above needs seconds",
        ),
        (
            {"queue": "vip", "when": "oldest_above"},
            "rulesets[cards].default.fallbacks[0]",
            "fallback when=oldest_above needs seconds",
        ),
        (
            {"queue": "vip", "when": "unstaffed", "seconds": 10},
            "rulesets[cards].default.fallbacks[0]",
            "when=unstaffed takes no seconds",
        ),
        (
            {"queue": "vip", "when": "closed", "seconds": 0},
            "rulesets[cards].default.fallbacks[0]",
            "when=closed takes no seconds",
        ),
        (
            {"queue": "vip", "when": "wait_above", "seconds": -1},
            "rulesets[cards].default.fallbacks[0].seconds",
            "greater than or equal to 0",
        ),
        ({"queue": "vip", "when": "busy"}, "rulesets[cards].default.fallbacks[0].when", "'closed'"),
        (
            {"queue": "vip", "when": "unstaffed", "when_unknown": "maybe"},
            "rulesets[cards].default.fallbacks[0].when_unknown",
            "boolean",
        ),
    ],
)
def test_fallback_seconds_rules(tmp_path: Path, fallback: dict[str, Any], path: str, reason: str) -> None:
    rules = edited("rulesets/cards.yaml", lambda c: c["rulesets"][0]["default"].update(fallbacks=[fallback]))
    issue = only_issue(config_with(tmp_path, rulesets_SLASH_cards__yaml=rules))
    assert (issue.path, reason in issue.message) == (path, True), str(issue)


@pytest.mark.parametrize("when", ["unstaffed", "no_agents_available", "over_capacity", "closed"])
def test_fallbacks_without_seconds_are_fine(tmp_path: Path, when: str) -> None:
    rules = edited(
        "rulesets/cards.yaml", lambda c: c["rulesets"][0]["default"].update(fallbacks=[{"queue": "vip", "when": when}])
    )
    assert config_with(tmp_path, rulesets_SLASH_cards__yaml=rules) == []


@pytest.mark.parametrize(
    ("edit", "path", "reason"),
    [
        (lambda r: r["rules"].append(dict(r["rules"][0])), "rulesets[cards]", "rule id 'vip' appears twice"),
        (
            lambda r: r["rules"][0]["then"].update(priority=11),
            "rulesets[cards].rules[vip].then.priority",
            "less than or equal to 10",
        ),
        (
            lambda r: r["rules"][0]["then"].update(priority=0),
            "rulesets[cards].rules[vip].then.priority",
            "greater than or equal to 1",
        ),
        (lambda r: r.pop("default"), "rulesets[cards].default", "Field required"),
        (lambda r: r["rules"][0].update(id="has space"), "rulesets[cards].rules[has space].id", "pattern"),
        (
            lambda r: r["rules"][0].update(when="attributes.tier == vip"),
            "rulesets[cards].rules[vip].when",
            "valid dictionary",
        ),
        (
            lambda r: r["rules"][0]["when"].update(op="between", value=[9, 1]),
            "rulesets[cards].rules[vip].when.value",
            "low 9 is above high 1",
        ),
        (lambda r: r["rules"][0]["when"].update(value=["a", "b"]), "rulesets[cards].rules[vip].when.value", "use 'in'"),
        (
            lambda r: r["rules"][0]["when"].update(field="caller"),
            "rulesets[cards].rules[vip].when.field",
            "unknown field 'caller'",
        ),
        (
            lambda r: r["rules"][1].update(
                when={"all": [{"field": "channel", "value": "VOICE"}, {"not": {"field": "channel", "op": "has"}}]}
            ),
            "rulesets[cards].rules[busy].when.all[1].not.op",
            "unknown operator 'has'",
        ),
    ],
)
def test_rule_problems_are_located_in_their_file(tmp_path: Path, edit: Any, path: str, reason: str) -> None:
    rules = edited("rulesets/cards.yaml", lambda c: edit(c["rulesets"][0]))
    issue = only_issue(config_with(tmp_path, rulesets_SLASH_cards__yaml=rules))
    assert issue.file.endswith("rulesets/cards.yaml")
    assert (issue.path, reason in issue.message) == (path, True), str(issue)


def test_a_ruleset_over_the_rule_cap_is_refused_naming_it_its_count_and_the_cap(tmp_path: Path) -> None:
    from routing.route.rules import MAX_RULES_PER_RULESET

    # Given a ruleset with one rule more than the cap (JSON: fast to write and read)
    rule = {"id": "", "then": {"classification": "c", "queue": "general"}}
    rules = [{**rule, "id": f"r{i}"} for i in range(MAX_RULES_PER_RULESET + 1)]
    ruleset = {"rulesets": [{"key": "cards", "rules": rules, "default": {"classification": "g", "queue": "general"}}]}
    # When the directory is validated
    issue = only_issue(config_with(tmp_path, rulesets_SLASH_cards__yaml=None, big__json=json.dumps(ruleset)))
    # Then one issue names the file, the ruleset, its count and the cap
    assert (issue.file.endswith("big.json"), issue.path) == (True, "rulesets[cards]")
    assert f"ruleset 'cards' has {MAX_RULES_PER_RULESET + 1} rules" in issue.message
    assert f"above the cap of {MAX_RULES_PER_RULESET} per ruleset" in issue.message


@pytest.mark.parametrize(
    ("change", "path", "reason"),
    [
        (
            {"offer": "wait_above", "wait_seconds": None},
            "callback_policies[cb]",
            "offer: wait_above needs wait_seconds",
        ),
        ({"offer": "queue_above"}, "callback_policies[cb]", "offer: queue_above needs contacts_in_queue"),
        ({"wait_seconds": -5}, "callback_policies[cb].wait_seconds", "greater than or equal to 0"),
        ({"offer": "sometimes"}, "callback_policies[cb].offer", "'wait_above'"),
        ({"blocked_prefixes": ["1900"]}, "callback_policies[cb].blocked_prefixes[0]", "pattern"),
        ({"dedup_window_seconds": 10}, "callback_policies[cb].dedup_window_seconds", "greater than or equal to 60"),
    ],
)
def test_callback_policy_thresholds(tmp_path: Path, change: dict[str, Any], path: str, reason: str) -> None:
    def edit(c: dict[str, Any]) -> None:
        c["callback_policies"][0].update(change)
        c["callback_policies"][0] = {k: v for k, v in c["callback_policies"][0].items() if v is not None}

    issue = only_issue(config_with(tmp_path, callback__yaml=edited("callback.yaml", edit)))
    assert (issue.path, reason in issue.message) == (path, True), str(issue)


@pytest.mark.parametrize(
    ("offer", "extra"), [("queue_above", {"contacts_in_queue": 10}), ("always", {}), ("never", {})]
)
def test_callback_policies_with_their_thresholds_are_fine(tmp_path: Path, offer: str, extra: dict[str, Any]) -> None:
    def edit(c: dict[str, Any]) -> None:
        c["callback_policies"][0] = {"key": "cb", "offer": offer, "profile": "std", **extra}

    assert config_with(tmp_path, callback__yaml=edited("callback.yaml", edit)) == []


# --- the normalized document ---------------------------------------------------------------------------------


def test_the_normalized_document_validates_to_itself(sample_document: dict[str, Any]) -> None:
    again = validate_document(sample_document)
    assert again.ok, [str(i) for i in again.issues]
    assert again.document == sample_document
    assert content_hash(again.document) == content_hash(sample_document)


def test_the_normalized_document_shape(sample_document: dict[str, Any]) -> None:
    assert sample_document["schema"] == 1
    assert set(sample_document) == {
        "schema",
        "defaults",
        "lines_of_business",
        "queues",
        "entry_points",
        "schedules",
        "rulesets",
        "callback_policies",
        "callback_profiles",
    }
    assert all(key == item["key"] for key, item in sample_document["queues"].items())


def test_content_hash_is_canonical(sample_document: dict[str, Any]) -> None:
    reordered = json.loads(json.dumps(sample_document), object_pairs_hook=lambda pairs: dict(reversed(pairs)))
    assert list(reordered) != list(sample_document)
    assert content_hash(reordered) == content_hash(sample_document)
    assert canonical_json(reordered) == canonical_json(sample_document)
    changed = json.loads(json.dumps(sample_document))
    changed["defaults"]["closed_message"] += "!"
    assert content_hash(changed) != content_hash(sample_document)


def test_validate_document_reports_problems_in_an_edited_document(sample_document: dict[str, Any]) -> None:
    sample_document["queues"]["cards_general"]["hours"] = "nope"
    sample_document["rulesets"]["fraud"]["rules"][0]["when"] = {"field": "attributes.x", "op": "regex", "value": "(("}
    result = validate_document(sample_document)
    assert not result.ok
    paths = sorted(i.path for i in result.issues)
    rule_id = sample_document["rulesets"]["fraud"]["rules"][0]["id"]
    assert paths == sorted(["queues[cards_general].hours", f"rulesets[fraud].rules[{rule_id}].when.value"])
    assert {i.line for i in result.issues} == {None}  # no file, no lines


def test_the_sample_config_and_a_generated_large_centre_are_valid() -> None:
    from trunkline.generate import generate_config

    result = validate_document(generate_config(queues=600, rules=1000))
    assert result.ok, [str(i) for i in result.issues[:3]]
    assert result.document is not None
    assert len(result.document["queues"]) == 600


# --- callbacks, languages, flow parameters (issue 11) ----------------------------------------------------------


def test_a_callback_policy_accepts_only_the_voice_channel(tmp_path: Path) -> None:
    callback = edited("callback.yaml", lambda c: c["callback_policies"][0].update(channels=["VOICE", "CHAT"]))
    issue = only_issue(config_with(tmp_path, callback__yaml=callback))
    assert issue.path.startswith("callback_policies[cb].channels")


def test_a_callback_delay_shorter_than_the_confirmation_is_refused(tmp_path: Path) -> None:
    callback = edited("callback.yaml", lambda c: c["callback_profiles"][0].update(initial_delay_seconds=5))
    assert_issue(
        config_with(tmp_path, callback__yaml=callback),
        "callback.yaml",
        "callback_profiles[std].initial_delay_seconds",
        "shorter than the confirmation",
    )


def test_a_long_translated_confirmation_raises_the_minimum_delay(tmp_path: Path) -> None:
    long_prompt = " ".join(["palabra"] * 60)  # 30 s of speech at the conservative rate
    prompts = dict.fromkeys(("callback_offer", "callback_number", "callback_duplicate", "callback_failed"), "texto")
    defaults = edited(
        "defaults.yaml",
        lambda c: c["defaults"].update(
            languages={
                "es-US": {"voice": "Lupe", "prompts": {**prompts, "callback_confirmed": long_prompt, "queue_full": "x"}}
            }
        ),
    )
    issue = only_issue(config_with(tmp_path, defaults__yaml=defaults))
    assert "initial_delay_seconds" in issue.path


def test_a_non_english_language_must_translate_every_prompt(tmp_path: Path) -> None:
    defaults = edited(
        "defaults.yaml",
        lambda c: c["defaults"].update(languages={"es-US": {"voice": "Lupe", "prompts": {"callback_offer": "Hola"}}}),
    )
    issue = only_issue(config_with(tmp_path, defaults__yaml=defaults))
    assert "must translate every prompt" in issue.message


def test_rules_on_parameters_no_flow_passes_are_warnings_not_errors(tmp_path: Path) -> None:
    rules = edited(
        "rulesets/cards.yaml",
        lambda c: c["rulesets"][0]["rules"].append(
            {
                "id": "by-param",
                "when": {
                    "any": [
                        {"field": "parameters.segment", "op": "equals", "value": "x"},
                        {"field": "parameters.entry_key", "op": "equals", "value": "web_chat"},
                    ]
                },
                "then": {"classification": "p", "queue": "vip"},
            }
        ),
    )
    files: dict[str, Any] = json.loads(json.dumps(BASE))
    files["rulesets/cards.yaml"] = rules
    result = load_directory(write_config(tmp_path, files))
    assert result.ok
    assert [w.message.split(",")[0] for w in result.warnings] == ["rule 'by-param' reads parameters.segment"]
