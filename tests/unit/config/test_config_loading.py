"""Hostile config files are refused fast with ``file: line N: reason`` (routing.config.safe_yaml), and every
other file reads exactly as ``yaml.safe_load`` reads it.

The alias bomb and the very deep file run in a child process with a timeout and a memory limit: before the fix the
first hung validation for minutes and the second crashed the interpreter, and a regression must fail the test, not
take the CI run (or the test runner) with it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from routing.config import safe_yaml
from routing.config.loader import ConfigIssue, load_directory
from routing.config.safe_yaml import MAX_DEPTH, MAX_FILE_BYTES, ConfigSyntaxError, load_json, load_yaml
from tests.conftest import ROOT, SAMPLE_CONFIG
from tests.unit.config.test_config_validation import BASE, config_with, only_issue

RULESET_HEAD = """\
rulesets:
  - key: cards
    default: {classification: general, queue: general}
    rules:
"""


def bomb_file(levels: int) -> str:
    """~1 KB: anchor a<n> is a list of nine aliases of a<n-1>, so the rule's value stands for 9**levels strings."""
    defs = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    defs += [f"a{n}: &a{n} [" + ",".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, levels + 1)]
    return (
        RULESET_HEAD
        + "      - id: bomb\n"
        + "        description:\n"
        + "".join(f"          {d}\n" for d in defs)
        + "        then: {classification: c, queue: general}\n"
        + f"        when: {{field: attributes.x, op: in, value: *a{levels}}}\n"
    )


CHILD = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))  # a regression fails, it does not swap
from routing.config.loader import load_directory
result = load_directory(sys.argv[1])
print(json.dumps([[i.file, i.path, i.message] for i in result.issues]))
"""


def validate_in_child(root: Path, timeout: float = 30) -> list[list[str]]:
    """``load_directory`` in a fresh interpreter; a hang, a crash or a memory blow-up fails the test."""
    env = {"PYTHONPATH": f"{ROOT / 'lambdas'}:{ROOT}", "PATH": "/usr/bin:/bin"}
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(root)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"validation did not finish within {timeout} s")
    assert done.returncode == 0, f"validation crashed (exit {done.returncode}): {done.stderr[-2000:]}"
    issues: list[list[str]] = json.loads(done.stdout.splitlines()[-1])
    return issues


def write_base(root: Path, **files: str) -> Path:
    for name, content in BASE.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(content, sort_keys=False))
    for name, text in files.items():
        (root / name).write_text(text)
    return root


# --- hostile files -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("levels", [6, 9])
def test_an_alias_bomb_is_refused_at_its_first_anchor(tmp_path: Path, levels: int) -> None:
    # Given a ~1 KB rule file whose anchors would expand to 9**levels strings
    text = bomb_file(levels)
    assert len(text.encode()) < 1_200
    root = write_base(tmp_path, **{"rulesets/cards.yaml": text})
    # When the directory is validated (in a child process: before the fix this took minutes and gigabytes)
    issues = validate_in_child(root)
    # Then one clear issue names the file and the line of the first anchor
    assert [i for i in issues if i[0].endswith("rulesets/cards.yaml")] == [
        [str(root / "rulesets/cards.yaml"), "line 7", "anchors and aliases are not allowed in config (&/*a0)"]
    ], issues


def test_an_alias_alone_is_refused_too() -> None:
    with pytest.raises(ConfigSyntaxError, match=r"line 2: anchors and aliases are not allowed"):
        load_yaml("a: [1]\nb: *a\n")


def test_a_duplicate_key_is_refused_naming_both_lines(tmp_path: Path) -> None:
    # Given a ruleset whose author wrote a second rules: key (PyYAML kept the second, dropping the first's rules)
    text = (
        RULESET_HEAD
        + "".join(f"      - id: r{i}\n        then: {{classification: c, queue: general}}\n" for i in range(5))
        + "    rules:\n      - id: late\n        then: {classification: c, queue: general}\n"
    )
    # When it is validated
    issue = only_issue(config_with(tmp_path, rulesets_SLASH_cards__yaml=text))
    # Then the file and line of the second key are named, and the first's line
    assert issue.file.endswith("rulesets/cards.yaml")
    assert (issue.path, issue.message) == ("line 15", "duplicate key 'rules' (first at line 4)")


def test_a_duplicate_key_in_json_is_refused(tmp_path: Path) -> None:
    issue = only_issue(config_with(tmp_path, extra__json='{"queues": [], "queues": []}'))
    assert issue.file.endswith("extra.json")
    assert issue.message == "duplicate key 'queues'"


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 160, 2_000])
def test_deep_nesting_is_refused(tmp_path: Path, levels: int) -> None:
    # Given a rule condition nested `levels` deep (160 used to be a traceback)
    condition = "{not: " * levels + "{field: channel, value: VOICE}" + "}" * levels
    text = (
        RULESET_HEAD
        + f"      - id: deep\n        then: {{classification: c, queue: general}}\n        when: {condition}\n"
    )
    issue = only_issue(config_with(tmp_path, rulesets_SLASH_cards__yaml=text))
    assert issue.file.endswith("rulesets/cards.yaml")
    assert (issue.path, issue.message) == ("line 7", f"nested deeper than {MAX_DEPTH} levels")


def test_nesting_at_the_cap_is_fine() -> None:
    assert load_yaml("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    assert load_json("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    with pytest.raises(ConfigSyntaxError, match="nested deeper"):
        load_json("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))


def test_nesting_that_crashed_the_c_parser_is_refused_in_a_child_process(tmp_path: Path) -> None:
    # 200,000 levels in 400 KB: libyaml's composer recursed until the interpreter died (SIGSEGV).
    root = write_base(tmp_path, **{"deep.yaml": "queues: " + "[" * 200_000 + "]" * 200_000 + "\n"})
    deep_json = tmp_path / "deep.json"
    deep_json.write_text('{"queues": ' + "[" * 200_000 + "]" * 200_000 + "}")
    issues = validate_in_child(root)
    assert [str(root / "deep.json"), "", f"nested deeper than {MAX_DEPTH} levels"] in issues
    assert [str(root / "deep.yaml"), "line 1", f"nested deeper than {MAX_DEPTH} levels"] in issues


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a file above the cap (sparse: the test writes nothing; the loader must not read it either)
    root = write_base(tmp_path)
    with (root / "huge.yaml").open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)

    def no_reading(self: Path, *args: Any, **kwargs: Any) -> str:
        if self.name == "huge.yaml":
            raise AssertionError("the oversized file was read")
        return original(self, *args, **kwargs)

    original = Path.read_text
    monkeypatch.setattr(Path, "read_text", no_reading)
    result = load_directory(root)
    assert [(Path(i.file).name, i.path, i.message) for i in result.issues] == [
        ("huge.yaml", "", f"file is {MAX_FILE_BYTES + 1:,} bytes, above the {MAX_FILE_BYTES:,}-byte cap")
    ]


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("a: 1\n---\nb: 2\n", 2, "one YAML document"),
        ("base: {x: 1}\nother:\n  <<: {y: 2}\n", 3, "merge keys (<<) are not allowed"),
        ("a: !!python/object:os.system x\n", 1, "unsupported tag tag:yaml.org,2002:python/object:os.system"),
        ("a: !!set {x}\n", 1, "unsupported tag tag:yaml.org,2002:set"),
        ("? [a, b]\n: c\n", 1, "a mapping key must be a plain value"),
    ],
)
def test_other_refusals(text: str, line: int, reason: str) -> None:
    with pytest.raises(ConfigSyntaxError) as caught:
        load_yaml(text)
    assert caught.value.line == line
    assert reason in caught.value.message


def test_malformed_yaml_is_still_a_parse_error_naming_the_file(tmp_path: Path) -> None:
    issue = only_issue(config_with(tmp_path, broken__yaml="queues: [unclosed\n"))
    assert issue.file.endswith("broken.yaml")
    assert "cannot parse" in issue.message


# --- same results as yaml.safe_load, with the C parser when PyYAML has it ------------------------------------

SCALARS = textwrap.dedent(
    """\
    plain: text
    quoted: '2026-12-25'
    date: 2026-12-25
    stamp: 2026-12-25T10:00:00Z
    ints: [1, -2, 0x1F, 0o17, 1_000]
    floats: [2.5, .inf, -.inf, 1e3]
    bools: [true, false, yes, no, on, off]
    nulls: [null, ~, ""]
    explicit: !!str 5
    binary: !!binary aGVsbG8=
    multiline: |
      line one
      line two
    folded: >
      folded
      text
    unicode: "caf\\u00e9 \\U0001F600"
    empty_map: {}
    empty_list: []
    1: numeric key
    null: null key
    """
)


@pytest.mark.parametrize("parser", ["C", "pure Python"])
def test_files_read_exactly_as_safe_load_reads_them(parser: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if parser == "pure Python":
        monkeypatch.setattr(safe_yaml, "_loader_class", lambda: yaml.SafeLoader)
    elif not yaml.__with_libyaml__:
        pytest.skip("PyYAML built without libyaml")
    texts = [SCALARS, "", "# a comment only\n", "just a string", "- a\n- {b: c}\n"]
    texts += [p.read_text() for p in sorted(SAMPLE_CONFIG.rglob("*.yaml"))]
    for text in texts:
        assert load_yaml(text) == yaml.safe_load(text), text[:200]


def test_the_c_parser_is_used_when_pyyaml_has_it() -> None:
    expected = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
    assert safe_yaml._loader_class() is expected


def test_the_sample_config_still_validates() -> None:
    result = load_directory(SAMPLE_CONFIG)
    assert result.ok, [str(i) for i in result.issues]
    assert all(isinstance(i, ConfigIssue) for i in result.issues)
