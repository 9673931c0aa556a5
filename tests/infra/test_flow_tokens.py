"""Flow token substitution: whole values only; unknown and unused tokens fail synth."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest

from stacks.constructs.connect import ContactFlows, FlowTokenError, substitute_tokens

ARN = "arn:aws:connect:us-east-1:111122223333:instance/5f7c9b1e-0d3a-4a8e-9c1f-2b6d8e4a7c10"


def _flow(tmp_path: Path, arn_value: str) -> Path:
    flow = {
        "Version": "2019-10-30",
        "StartAction": "a",
        "Metadata": {},
        "Actions": [
            {"Identifier": "a", "Type": "InvokeLambdaFunction", "Parameters": {"LambdaFunctionARN": arn_value}}
        ],
    }
    (tmp_path / "f.json").write_text(json.dumps(flow))
    return tmp_path


def test_whole_values_are_replaced() -> None:
    used: set[str] = set()
    out = substitute_tokens({"a": ["%X%", {"b": "%X%"}], "c": "keep 50%"}, {"X": "v"}, flow="f", used=used)
    assert out == {"a": ["v", {"b": "v"}], "c": "keep 50%"}
    assert used == {"X"}


def test_unknown_token_fails(tmp_path: Path) -> None:
    stack = cdk.Stack(cdk.App())
    with pytest.raises(FlowTokenError, match="unknown token %Nope%"):
        ContactFlows(stack, "F", instance_arn=ARN, flow_dir=_flow(tmp_path, "%Nope%"), tokens={}, name_prefix="t")


def test_unused_token_fails(tmp_path: Path) -> None:
    stack = cdk.Stack(cdk.App())
    with pytest.raises(FlowTokenError, match="used by no flow"):
        ContactFlows(
            stack, "F", instance_arn=ARN, flow_dir=_flow(tmp_path, "%A%"), tokens={"A": "x", "B": "y"}, name_prefix="t"
        )


def test_token_inside_a_longer_string_fails() -> None:
    with pytest.raises(FlowTokenError, match="whole value"):
        substitute_tokens({"a": "prefix-%A%"}, {"A": "x"}, flow="f", used=set())
