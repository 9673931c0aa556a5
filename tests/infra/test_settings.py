"""cdk.json settings (``stacks.settings``): defaults, strict types, and errors that name the key and the reason.

No synth here: these run in well under a second. Warm-start, DR-model and budget rules have their own tests next
to the infrastructure they shape (test_warm_start, test_deploy_regions, test_regional_stack).
"""

from __future__ import annotations

from typing import Any

import pytest

from stacks.settings import EnvironmentSettings, SettingsError

MINIMAL = {"active": {"region": "eu-west-1"}, "default_queue_id": "q-1"}


def _settings(**raw: Any) -> EnvironmentSettings:
    return EnvironmentSettings.from_context({"x": raw}, "x")


def _error(**raw: Any) -> str:
    with pytest.raises(SettingsError) as err:
        _settings(**raw)
    return str(err.value)


def test_a_minimal_environment_gets_the_documented_defaults() -> None:
    settings = _settings(**MINIMAL)
    assert (settings.name, settings.active.region, settings.active.role, settings.dr) == (
        "x",
        "eu-west-1",
        "active",
        None,
    )
    assert settings.regions == (settings.active,)
    assert not settings.active.has_connect
    assert (settings.log_retention_days, settings.config_refresh_seconds, settings.route_timeout_seconds) == (30, 30, 3)
    assert (settings.route_memory_mb, settings.store_budget_ms, settings.config_retention_days) == (1024, 1000, 90)
    assert (settings.production, settings.gradual_deploy, settings.connect_test_cases) == (False, True, False)
    assert (settings.dr_model, settings.alarm_emails, settings.pipeline, settings.account) == (
        "replica",
        (),
        None,
        None,
    )
    assert {name: ws.mode for name, ws in settings.warm_start.items()} == {
        "route": "snapstart",
        "callback": "snapstart",
    }


def test_every_problem_is_reported_at_once_one_line_each_naming_the_key() -> None:
    """Before pydantic only the first problem was reported: a fix-and-rerun loop per mistake."""
    message = _error(
        **MINIMAL,
        production="false",
        route_timeout_seconds=True,
        log_retention_days=31,
        pipeline={"repository": "trunkline", "branch": "main", "connection_arn": "arn:aws:s3:::x"},
    )
    lines = message.splitlines()
    assert lines == [
        "environments.x.production must be true or false, got 'false'",
        "environments.x.log_retention_days must be one of [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, "
        "731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], got 31",
        "environments.x.route_timeout_seconds must be an integer, got True",
        "environments.x.pipeline.repository must be owner/name, got 'trunkline'",
        "environments.x.pipeline.connection_arn must be a CodeConnections/CodeStar connection ARN, got "
        "'arn:aws:s3:::x'",
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"default_queue_id": "q-1"}, "environments.x.active is required"),
        ({**MINIMAL, "default_queue_id": "arn:aws:connect:x/queue/q"}, "default_queue_id is required: the id (not"),
        ({**MINIMAL, "alarm_emails": "oncall@example.com"}, "alarm_emails must be a list of e-mail addresses"),
        ({**MINIMAL, "account": 111122223333}, "account must be a 12-digit account id as a string, got 111122223333"),
        (
            {**MINIMAL, "account": "1111"},
            "environments.x.account must be a 12-digit account id as a string, got '1111'",
        ),
        ({**MINIMAL, "active": "eu-west-1"}, "environments.x.active must be a mapping with ['connect_instance_arn', "),
        (
            {**MINIMAL, "active": {"region": "eu-west-1", "role": "dr"}},
            "environments.x.active: unknown key(s) ['role']",
        ),
        ({**MINIMAL, "dr": {"region": "Ireland"}}, "environments.x.dr.region must be a region name such as us-east-1"),
        ({**MINIMAL, "dr": {"region": "eu-west-1"}}, "environments.x: the DR region must differ from the active"),
        ({**MINIMAL, "retention": 30}, "environments.x: unknown key(s) ['retention']; known: ['account', 'active',"),
        ({**MINIMAL, "name": "prod"}, "environments.x: unknown key(s) ['name']"),
        (
            {
                "active": {
                    "region": "eu-west-1",
                    "connect_instance_arn": "arn:aws:connect:us-east-1:111122223333:"
                    "instance/5f7c9b1e-0d3a-4a8e-9c1f-2b6d8e4a7c10",
                },
                "default_queue_id": "q",
            },
            "environments.x.active.connect_instance_arn is in region 'us-east-1', not in 'eu-west-1'",
        ),
    ],
)
def test_a_bad_setting_is_refused_naming_the_key_and_the_reason(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingsError) as err:
        EnvironmentSettings.from_context({"x": raw}, "x")
    assert message in str(err.value)


def test_an_unknown_environment_lists_the_known_ones() -> None:
    with pytest.raises(SettingsError, match=r"unknown environment 'qa'; cdk.json defines \['x'\]"):
        EnvironmentSettings.from_context({"x": MINIMAL}, "qa")


def test_null_reads_as_absent_where_it_did_before() -> None:
    settings = _settings(
        active={"region": "eu-west-1", "connect_instance_arn": None}, default_queue_id="q", account=None
    )
    assert (settings.active.connect_instance_arn, settings.active.has_connect, settings.account) == ("", False, None)
    assert settings.pipeline is None
