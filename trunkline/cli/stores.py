"""Where a command's config store is: the embedded one (moto, state in one folder) or a real DynamoDB table.

AWS settings are read as the AWS CLI reads them: ``--region``, else ``AWS_REGION``, else ``AWS_DEFAULT_REGION``,
else the profile's region (``--profile`` / ``AWS_PROFILE``); credentials and ``AWS_ENDPOINT_URL`` /
``AWS_ENDPOINT_URL_DYNAMODB`` by botocore itself. botocore alone ignores ``AWS_REGION`` (the AWS CLI and the
Lambda runtime set it), which is why the region is resolved here and passed explicitly.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from routing.config.store import ConfigStore, DynamoConfigStore
from trunkline.cli.errors import CliError

STORE_DIR_ENV = "TRUNKLINE_STORE_DIR"
STATE_FILE = "embedded-store.json"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def default_store_dir() -> Path:
    """``$TRUNKLINE_STORE_DIR``, else ``.trunkline/`` at the project root (never the current folder: running
    from elsewhere must not silently show another, empty store)."""
    configured = os.environ.get(STORE_DIR_ENV)
    return Path(configured).expanduser() if configured else PROJECT_ROOT / ".trunkline"


def store_dir(args: argparse.Namespace) -> Path:
    """The embedded store's folder for this run (``--store-dir`` wins over the environment)."""
    return Path(args.store_dir).expanduser().resolve() if args.store_dir else default_store_dir().resolve()


def describe_store(args: argparse.Namespace) -> str:
    """One line saying which store a command works on (``versions`` prints it)."""
    if args.store == "aws":
        return f"store: DynamoDB table {args.table} in {resolve_region(args)}"
    return f"store: embedded, {store_dir(args) / STATE_FILE}"


def resolve_region(args: argparse.Namespace) -> str:
    """The AWS region as the AWS CLI resolves it, or a ``CliError`` saying how to set one."""
    if args.region:
        return str(args.region)
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if os.environ.get(name):
            return os.environ[name]
    from botocore.session import Session

    region = Session().get_config_variable("region")  # the profile's region (AWS_PROFILE, ~/.aws/config)
    if region:
        return str(region)
    raise CliError("no AWS region: pass --region, or set AWS_REGION / AWS_DEFAULT_REGION, or a region in your profile")


def apply_profile(args: argparse.Namespace) -> None:
    """``--profile`` is ``AWS_PROFILE`` for this process (botocore sessions are created later, per command)."""
    if args.profile:
        os.environ["AWS_PROFILE"] = args.profile


def check_credentials() -> None:
    """Fail before the first request, with one line, when botocore finds no credentials at all."""
    from botocore.session import Session

    if Session().get_credentials() is None:
        raise CliError(
            "no AWS credentials found: set AWS_PROFILE (or --profile), AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
            "or run `aws sso login`"
        )


@contextmanager
def open_store(args: argparse.Namespace) -> Iterator[ConfigStore]:
    """The store the command works on."""
    if args.store == "aws":
        if not args.table:
            raise CliError("--store aws needs --table NAME (the config table's name, a stack output)")
        region = resolve_region(args)
        check_credentials()
        yield DynamoConfigStore(args.table, region=region)
        return
    from trunkline.embedded import embedded_dynamodb

    with embedded_dynamodb(store_dir(args) / STATE_FILE) as table:
        yield DynamoConfigStore(table, region="us-east-1")
