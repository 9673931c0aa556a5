"""The ``trunkline`` CLI (``trunkline.cli.app``): the names other modules and tests use."""

from trunkline.cli.app import Commands, build_parser, main, quiet_lambda_output
from trunkline.cli.tools import cmd_flows_run_tests

__all__ = ["Commands", "build_parser", "cmd_flows_run_tests", "main", "quiet_lambda_output"]
