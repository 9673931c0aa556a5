"""Validation errors point at the mistake: file, line, a keyed path, and one error per mistake (issue 15).

The headline test copies the sample centre (config/), makes five typical mistakes in four files and expects exactly
five errors, each with its line: one mistake must not hide the others or add knock-on errors.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from routing.config.loader import ConfigIssue, load_directory, validate_document
from tests.conftest import SAMPLE_CONFIG
from tests.unit.config.test_config_validation import config_with, edited, only_issue


def copy_of_sample(tmp_path: Path) -> Path:
    root = tmp_path / "config"
    shutil.copytree(SAMPLE_CONFIG, root)
    return root


def replace_line(file: Path, old: str, new: str) -> int:
    """Replace ``old`` by ``new`` on the first line holding it; return that line's 1-based number."""
    lines = file.read_text().splitlines(keepends=True)
    hits = [n for n, line in enumerate(lines) if old in line]
    assert hits, old
    lines[hits[0]] = lines[hits[0]].replace(old, new)
    file.write_text("".join(lines))
    return hits[0] + 1


def insert_after(file: Path, anchor: str, new_line: str) -> int:
    """Insert ``new_line`` after the first line holding ``anchor``; return the new line's 1-based number."""
    lines = file.read_text().splitlines(keepends=True)
    n = next(i for i, line in enumerate(lines) if anchor in line)
    lines.insert(n + 1, new_line + "\n")
    file.write_text("".join(lines))
    return n + 2


def located(issues: list[ConfigIssue]) -> list[tuple[str, int | None, str]]:
    return sorted((Path(i.file).name, i.line, i.path) for i in issues)


def test_five_mistakes_in_the_sample_centre_give_exactly_five_errors_each_with_its_line(tmp_path: Path) -> None:
    # Given a copy of the sample centre with five mistakes
    root = copy_of_sample(tmp_path)
    # 1. a YAML syntax error: a flow mapping left unclosed (the rest of queues.yaml must still be checked)
    syntax_line = replace_line(
        root / "queues.yaml",
        "balance_greeting, acsf_search_info: account_number}}",
        "balance_greeting, acsf_search_info: account_number}",
    )
    # 2. a bad field, in the same file, on the queue every ruleset and line of business refers to
    capacity_line = replace_line(root / "queues.yaml", "    capacity: 250", "    capacity: 0")
    # 3. an impossible date
    date_line = replace_line(
        root / "schedules.yaml", "{date: 2026-12-25, name: Christmas Day}", "{date: 2026-02-30, name: Christmas Day}"
    )
    # 4. a reference to a queue that does not exist
    ref_line = replace_line(root / "rulesets" / "cards.yaml", "queue: cards_lost_stolen", "queue: cards_lost_stoln")
    # 5. a key twice in one mapping
    dup_line = insert_after(
        root / "lines_of_business.yaml", "default_queue: cards_general", "    schedule: fraud_hours"
    )

    # When the directory is validated
    result = load_directory(root)

    # Then exactly five errors, each at its mistake's line, with keyed paths
    assert result.document is None
    assert len(result.issues) == 5, "\n".join(map(str, result.issues))
    assert located(result.issues) == sorted(
        [
            ("queues.yaml", syntax_line, "queues[cards_balance]"),
            ("queues.yaml", capacity_line, "queues[cards_general].capacity"),
            ("schedules.yaml", date_line, "schedules[cards_hours].holidays[2026-02-30].date"),
            ("cards.yaml", ref_line, "rulesets[cards].rules[cards-lost-stolen].then.queue"),
            ("lines_of_business.yaml", dup_line, "lines_of_business[cards].schedule"),
        ]
    )
    by_file = {Path(i.file).name + str(i.line): i for i in result.issues}
    assert "did you mean 'cards_lost_stolen'?" in by_file[f"cards.yaml{ref_line}"].message
    assert "duplicate key 'schedule' (first at line 4)" in by_file[f"lines_of_business.yaml{dup_line}"].message


def test_the_sample_centre_with_its_line_numbers_intact_is_still_valid(tmp_path: Path) -> None:
    assert load_directory(copy_of_sample(tmp_path)).issues == []


def test_an_issue_prints_as_file_line_column_path_reason(tmp_path: Path) -> None:
    text = "queues:\n  - key: general\n    queue_id: qid\n    name: G\n    capacity: 0\n"
    text += "  - {key: vip, queue_id: q2, name: V}\n"
    issue = only_issue(config_with(tmp_path, queues__yaml=text))
    assert (issue.line, issue.column, issue.path) == (5, 5, "queues[general].capacity")
    assert str(issue) == f"{issue.file}:5:5: queues[general].capacity: {issue.message}"
    assert issue.as_dict() == {
        "file": issue.file,
        "line": 5,
        "column": 5,
        "path": "queues[general].capacity",
        "message": issue.message,
        "suggestion": None,
    }


def test_a_missing_field_points_at_the_item_that_lacks_it(tmp_path: Path) -> None:
    issues = config_with(
        tmp_path,
        queues__yaml="queues:\n  - key: general\n    queue_id: qid\n    name: G\n  - key: vip\n    queue_id: q2\n",
    )
    issue = only_issue(issues)
    assert (issue.line, issue.path) == (5, "queues[vip].name")


def test_a_rule_error_inside_a_condition_has_the_rule_id_and_line(tmp_path: Path) -> None:
    text = (
        "rulesets:\n"
        "  - key: cards\n"
        "    default: {classification: general, queue: general}\n"
        "    rules:\n"
        "      - id: first\n"
        "        then: {classification: a, queue: vip}\n"
        "      - id: by-regex\n"
        "        when:\n"
        "          all:\n"
        "            - {field: attributes.x, op: regex, value: '('}\n"
        "        then: {classification: a, queue: vip}\n"
    )
    issue = only_issue(config_with(tmp_path, rulesets_SLASH_cards__yaml=text))
    assert issue.path.startswith("rulesets[cards].rules[by-regex].when.all[0]"), str(issue)
    assert issue.line == 10


@pytest.mark.parametrize(
    ("typo", "suggested"),
    [("genral", "general"), ("vipp", "vip")],
)
def test_an_unknown_queue_suggests_the_nearest_key(tmp_path: Path, typo: str, suggested: str) -> None:
    lob = edited("lines_of_business.yaml", lambda c: c["lines_of_business"][0].update(default_queue=typo))
    issue = only_issue(config_with(tmp_path, lines_of_business__yaml=lob))
    assert issue.path == "lines_of_business[cards].default_queue"
    assert issue.message == f"unknown queue {typo!r} (did you mean {suggested!r}?)"
    assert issue.suggestion == suggested


def test_an_unknown_key_with_nothing_close_suggests_nothing(tmp_path: Path) -> None:
    lob = edited("lines_of_business.yaml", lambda c: c["lines_of_business"][0].update(default_queue="zzzzzz"))
    issue = only_issue(config_with(tmp_path, lines_of_business__yaml=lob))
    assert (issue.message, issue.suggestion) == ("unknown queue 'zzzzzz'", None)


def test_a_yaml_error_in_one_file_still_lets_the_other_files_be_checked(tmp_path: Path) -> None:
    # Given a broken defaults file (not a list item: the whole section is lost) and a real mistake elsewhere
    queues = edited("queues.yaml", lambda c: c["queues"][1].update(capacity=-1))
    issues = config_with(tmp_path, defaults__yaml="defaults: {default_queue: general\n", queues__yaml=queues)
    # Then the syntax error and the other file's mistake, and no "exactly one defaults section" knock-on
    assert located(issues) == [("defaults.yaml", 1, "defaults"), ("queues.yaml", 12, "queues[vip].capacity")]


def test_references_into_a_file_that_cannot_be_read_at_all_are_not_reported(tmp_path: Path) -> None:
    # A tab at the top level: nothing of the file can be salvaged, so its keys are unknown, not missing
    issues = config_with(tmp_path, queues__yaml="\tqueues: [\n")
    assert [Path(i.file).name for i in issues] == ["queues.yaml"]


def test_a_document_without_files_has_keyed_paths_and_no_lines(sample_document: dict[str, object]) -> None:
    queues = sample_document["queues"]
    assert isinstance(queues, dict)
    queues["cards_general"]["capacity"] = 0
    issue = only_issue(validate_document(sample_document).issues)
    assert (issue.path, issue.line, issue.column) == ("queues[cards_general].capacity", None, None)


def test_an_unknown_field_suggests_the_nearest_field_name(tmp_path: Path) -> None:
    queues = edited("queues.yaml", lambda c: c["queues"][1].update(capcity=5))
    issue = only_issue(config_with(tmp_path, queues__yaml=queues))
    assert (issue.path, issue.message, issue.suggestion) == (
        "queues[vip].capcity",
        "unknown field 'capcity' (did you mean 'capacity'?)",
        "capacity",
    )


# --- recovery from syntax errors (routing.config.recovery) ------------------------------------------------------

QUEUES_BLOCK = """\
queues:
- key: general
  queue_id: qid-general
  name: General
- key: vip
  queue_id: qid-vip
  name: VIP: broken
  line_of_business: cards
- key: other
  queue_id: qid-other
  name: Other
  capacity: -1
"""


def test_a_syntax_error_in_a_block_item_sets_aside_that_item_only(tmp_path: Path) -> None:
    # Given items at indent 0 (as yaml.dump writes them), the second with a syntax error, the third with a bad field
    issues = config_with(tmp_path, queues__yaml=QUEUES_BLOCK)
    # Then the syntax error names the item and line, the third item is still checked, and the rules' references
    # to vip (set aside) are not reported as unknown
    assert located(issues) == [("queues.yaml", 7, "queues[vip]"), ("queues.yaml", 12, "queues[other].capacity")]
    syntax = next(i for i in issues if i.path == "queues[vip]")
    assert (syntax.column, syntax.message) == (12, "mapping values are not allowed in this context")


def test_two_syntax_errors_in_one_file_are_both_reported() -> None:
    from routing.config.safe_yaml import parse_yaml

    text = QUEUES_BLOCK.replace("name: Other", "name: [Other")
    parsed = parse_yaml(text)
    assert [(p.section, p.key, p.line) for p in parsed.set_aside] == [("queues", "vip", 7), ("queues", "other", 11)]
    assert isinstance(parsed.content, dict)
    assert [q["key"] for q in parsed.content["queues"]] == ["general"]


def test_a_refusal_inside_an_item_sets_aside_only_that_item() -> None:
    from routing.config.safe_yaml import parse_yaml

    parsed = parse_yaml(QUEUES_BLOCK.replace("name: VIP: broken", "name: !!python/name:os.system x"))
    assert [(p.key, p.line, p.message) for p in parsed.set_aside] == [
        ("vip", 7, "unsupported tag tag:yaml.org,2002:python/name:os.system")
    ]


def test_too_many_broken_items_refuse_the_file() -> None:
    import yaml

    from routing.config.recovery import MAX_RECOVERIES
    from routing.config.safe_yaml import parse_yaml

    text = "queues:\n" + "".join(f"- key: q{i}\n  name: a: b\n" for i in range(MAX_RECOVERIES + 1))
    with pytest.raises(yaml.MarkedYAMLError):
        parse_yaml(text)
    text = "queues:\n" + "".join(f"- key: q{i}\n  name: a: b\n" for i in range(MAX_RECOVERIES))
    assert len(parse_yaml(text).set_aside) == MAX_RECOVERIES


def test_a_json_file_has_keyed_paths_and_no_lines(tmp_path: Path) -> None:
    issue = only_issue(
        config_with(tmp_path, extra__json='{"queues": [{"key": "x", "queue_id": "q-x", "name": "X", "capacity": 0}]}')
    )
    assert (issue.path, issue.line) == ("queues[x].capacity", None)


def test_an_unknown_queue_in_a_metrics_field_suggests_the_nearest_queue(tmp_path: Path) -> None:
    def edit(c: dict[str, Any]) -> None:
        c["rulesets"][0]["rules"][1]["when"]["field"] = "metrics.genral.contacts_in_queue"

    issue = only_issue(config_with(tmp_path, rulesets_SLASH_cards__yaml=edited("rulesets/cards.yaml", edit)))
    assert issue.path == "rulesets[cards].rules[busy].when.field"
    assert issue.message.endswith("unknown queue 'genral' (did you mean 'general'?)")
    assert issue.suggestion == "general"


def test_a_syntax_error_in_a_list_inside_defaults_adds_no_defaults_knock_on(tmp_path: Path) -> None:
    # A list inside the defaults mapping looks like a list item to the recovery: only it is set aside, and the
    # defaults section still counts once (no "exactly one defaults section" knock-on)
    text = "defaults:\n  default_queue: general\n  languages:\n    en-US: {voice: Joanna}\n  odd:\n  - [a\n"
    issues = config_with(tmp_path, defaults__yaml=text)
    # (odd is also an unknown field: a second, real mistake)
    assert [(Path(i.file).name, i.path) for i in issues] == [
        ("defaults.yaml", "defaults"),
        ("defaults.yaml", "defaults.odd"),
    ]
