"""Config commands: validate, publish, rollback, versions, diff, audit."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import TYPE_CHECKING, Any

from trunkline.cli.errors import EXIT_USAGE, CliError
from trunkline.cli.stores import describe_store, open_store

if TYPE_CHECKING:
    from trunkline.cli.app import Commands


def _actor(args: argparse.Namespace) -> str:
    return str(args.actor or f"cli:{getpass.getuser()}")


def cmd_validate(args: argparse.Namespace) -> int:
    """Print every problem (and warnings); exit 1 when there is any problem."""
    from routing.config.loader import load_directory

    result = load_directory(args.directory)
    for issue in result.issues:
        print(issue)
    for warning in result.warnings:
        print(f"warning: {warning}")
    if result.ok and result.document is not None:
        doc = result.document
        print(
            f"OK: {len(result.files)} files, {len(doc['queues'])} queues, {len(doc['entry_points'])} entry points, "
            f"{sum(len(r['rules']) for r in doc['rulesets'].values())} rules"
        )
        return 0
    print(f"{len(result.issues)} problem(s): nothing can be published", file=sys.stderr)
    return 1


def cmd_publish(args: argparse.Namespace) -> int:
    """Validate, then publish as a new version (or report UNCHANGED)."""
    from routing.config.loader import ConfigInvalidError, load_directory
    from routing.config.publishing import EngineeringOwnedError, PublishConflictError, publish_document

    result = load_directory(args.directory)
    if not result.ok or result.document is None:
        for issue in result.issues:
            print(issue)
        raise CliError(f"invalid config ({len(result.issues)} problem(s) above): nothing published")
    with open_store(args) as store:
        try:
            out = publish_document(
                store,
                result.document,
                actor=_actor(args),
                summary=args.summary or "",
                base_version=None if args.base in (None, "none") else args.base,
                engineering="force" if args.force else "refuse",
            )
        except EngineeringOwnedError as exc:
            raise CliError(
                f"not published: {exc} (engineering-owned fields ship with the pipeline; --force publishes anyway)"
            ) from None
        except (ConfigInvalidError, PublishConflictError) as exc:
            raise CliError(f"not published: {exc}") from None
    print(
        json.dumps(
            {
                "status": out.status,
                "version": out.version_id,
                "previous": out.previous_version_id,
                "content_hash": out.content_hash,
            }
        )
    )
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    """Make the named (``--to``) version active again: never a toggle to "the previous one"."""
    from routing.config.publishing import PublishConflictError, RollbackError, rollback

    with open_store(args) as store:
        try:
            out = rollback(store, actor=_actor(args), to_version=args.to, reason=args.reason or "")
        except (RollbackError, PublishConflictError) as exc:
            raise CliError(f"not rolled back: {exc}") from None
    print(json.dumps({"status": out.status, "version": out.version_id, "previous": out.previous_version_id}))
    return 0


def cmd_versions(args: argparse.Namespace) -> int:
    """The store in use, then the published versions, newest first."""
    with open_store(args) as store:
        print(describe_store(args))
        pointer = store.get_pointer()
        versions = store.list_versions()
    active = pointer.version_id if pointer else None
    previous = pointer.previous_version_id if pointer else None
    print(f"{'version':<10} {'state':<9} {'published_at':<28} {'by':<24} {'hash':<12} summary")
    for v in versions:
        state = "ACTIVE" if v.version_id == active else ("previous" if v.version_id == previous else "")
        print(
            f"{v.version_id:<10} {state:<9} {v.published_at:<28} {v.published_by[:24]:<24} {v.content_hash[:12]:<12} "
            f"{v.summary}"
        )
    if not versions:
        print("(nothing published yet)")
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    """Per-item changes between two versions, or from the active version to a directory."""
    from routing.config.loader import load_directory
    from routing.config.publishing import diff_documents

    if not args.dir and len(args.versions) != 2:
        raise CliError("diff takes two versions, or --dir DIR", EXIT_USAGE)
    with open_store(args) as store:
        if args.dir:
            pointer = store.get_pointer()
            before: dict[str, Any] = store.load_document(pointer.version_id) if pointer else {}
            result = load_directory(args.dir)
            if result.document is None:
                for issue in result.issues:
                    print(issue)
                raise CliError(f"{args.dir}: invalid config ({len(result.issues)} problem(s) above)")
            after = result.document
            label = f"{pointer.version_id if pointer else '(none)'} -> {args.dir}"
        else:
            before, after = (store.load_document(v) for v in args.versions)
            label = " -> ".join(args.versions)
    changes = diff_documents(before, after)
    print(f"{label}: {len(changes)} change(s)")
    for change in changes:
        print(change)
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    """The audit trail, newest first."""
    with open_store(args) as store:
        for r in store.list_audit(args.limit):
            who = r.actor if r.verified else f"{r.actor} (unverified)"
            print(f"{r.at}  {r.action:<9} {who:<24} {r.from_version or '-':>8} -> {r.to_version or '-':<8} {r.detail}")
    return 0


def register(commands: Commands) -> None:
    """validate, publish, rollback, versions, diff, audit."""
    p = commands.add("validate", help="validate a config directory", func=cmd_validate)
    p.add_argument("directory", nargs="?", default="config")
    p = commands.add("publish", help="validate and publish a config directory as a new version", func=cmd_publish)
    p.add_argument("directory", nargs="?", default="config")
    p.add_argument("--summary", "-m", default="")
    p.add_argument("--base", help="the version your files started from (refused if another is active); none: first")
    p.add_argument("--force", action="store_true", help="publish engineering-owned changes outside a deploy")
    p = commands.add("rollback", help="make the named version active again", func=cmd_rollback)
    p.add_argument("--to", required=True, help="the version to make active (see `versions`)")
    p.add_argument("--reason", default="")
    commands.add("versions", help="list published versions (and say which store)", func=cmd_versions)
    p = commands.add("diff", help="diff two versions, or a directory against the active version", func=cmd_diff)
    p.add_argument("versions", nargs="*")
    p.add_argument("--dir")
    p = commands.add("audit", help="show the audit trail (newest first)", func=cmd_audit)
    p.add_argument("--limit", type=int, default=50)
