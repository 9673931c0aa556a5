"""``trunkline events new``: a Connect ``ContactFlowEvent`` for an entry point, written as JSON (docs/events.md).

The event is what the deployed inbound flow sends to ``route``: a voice contact carries the entry point's dialed
number in ``SystemEndpoint``; a chat/task/email contact carries its ``entry_key`` as a contact attribute (set by
``StartChatContact``/``StartTaskContact``) and as the Invoke block's parameter (``InvokeRouteKeyed``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trunkline.cli.errors import CliError

if TYPE_CHECKING:
    from trunkline.cli.app import Commands

CHANNELS = ("VOICE", "CHAT", "TASK", "EMAIL")
INITIATION = ("INBOUND", "TRANSFER", "API", "CALLBACK", "OUTBOUND")


def key_values(pairs: list[str], option: str) -> dict[str, str]:
    """``["k=v", …]`` as a dict; ``CliError`` for an item without ``=`` or with an empty key."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CliError(f"{option} {pair!r}: expected NAME=VALUE")
        out[key] = value
    return out


def _entry_point(config: str, key: str) -> dict[str, Any]:
    from routing.config.loader import load_directory

    loaded = load_directory(config)
    if loaded.document is None or not loaded.ok:
        raise CliError(f"{config}: invalid config ({len(loaded.issues)} problem(s); run `trunkline validate {config}`)")
    entry_points: dict[str, Any] = loaded.document["entry_points"]
    if key not in entry_points:
        known = ", ".join(sorted(entry_points)[:12])
        raise CliError(
            f"unknown entry point {key!r} in {config} (known: {known}{', …' if len(entry_points) > 12 else ''})"
        )
    return dict(entry_points[key])


def build_event(args: argparse.Namespace) -> dict[str, Any]:
    """The event the options describe (``CliError`` when they contradict the config)."""
    from trunkline.contacts import INSTANCE_ARN, connect_event

    attributes = key_values(args.attr or [], "--attr")
    parameters = {"trunkline_flow": "transfer" if args.initiation_method == "TRANSFER" else "inbound"}
    parameters.update(key_values(args.param or [], "--param"))
    dialed = args.dialed
    channel = args.channel
    if args.entry_point:
        entry = _entry_point(args.config, args.entry_point)
        channel = channel or entry["channel"]
        if channel != entry["channel"]:
            raise CliError(f"entry point {args.entry_point!r} is a {entry['channel']} entry point, not {channel}")
        if entry.get("dialed_number"):
            dialed = entry["dialed_number"]
        if entry.get("entry_key"):
            attributes.setdefault("entry_key", entry["entry_key"])
            parameters.setdefault("entry_key", attributes["entry_key"])
    channel = channel or "VOICE"
    caller = args.caller if channel == "VOICE" else None
    return connect_event(
        channel=channel,
        dialed=dialed if channel == "VOICE" else None,
        caller=caller,
        attributes=attributes,
        parameters=parameters,
        instance_arn=args.instance_arn or INSTANCE_ARN,
        contact_id=args.contact_id,
        initiation_method=args.initiation_method,
    )


def cmd_events_new(args: argparse.Namespace) -> int:
    """Write the event to ``-o FILE`` (or stdout)."""
    text = json.dumps(build_event(args), indent=2) + "\n"
    if args.output and args.output != "-":
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CliError(f"{args.output}: cannot write: {exc.strerror or exc}") from None
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def register(commands: Commands) -> None:
    """``events new``."""
    events = commands.group("events", help="Connect contact events for `invoke route` (docs/events.md)")
    p = events.add(
        "new",
        help="write a Connect ContactFlowEvent for an entry point, caller, channel and attributes",
        func=cmd_events_new,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--entry-point", metavar="KEY", help="an entry point key of --config")
    where.add_argument("--dialed", metavar="NUMBER", help="a dialed number instead (e.g. one no entry point has)")
    p.add_argument("--caller", metavar="NUMBER", help="the caller's number, E.164 (voice; omit for a withheld id)")
    p.add_argument("--channel", choices=CHANNELS, help="default: the entry point's channel, else VOICE")
    p.add_argument("--attr", action="append", metavar="NAME=VALUE", help="a contact attribute (repeatable)")
    p.add_argument("--param", action="append", metavar="NAME=VALUE", help="an Invoke block parameter (repeatable)")
    p.add_argument("--initiation-method", choices=INITIATION, default="INBOUND")
    p.add_argument("--contact-id", help="default: a new UUID")
    p.add_argument("--instance-arn", help="default: the sample instance in us-east-1")
    p.add_argument("--config", default="config", help="config directory the entry point is read from")
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
