"""``cloudraya-registry vulndb import PATH`` and ``vulndb status``: the advisory database."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``vulndb`` command to the service's argparse CLI."""
    vulndb = subparsers.add_parser("vulndb", help="Manage the vulnerability advisory database.")
    commands = vulndb.add_subparsers(dest="vulndb_command", required=True)

    imp = commands.add_parser(
        "import",
        help="Import OSV advisories offline: a JSON file, a directory of them, or an "
        "ecosystem's all.zip. Each import is a new database version.",
    )
    imp.add_argument("path", type=Path, help="OSV JSON file, directory or zip.")
    _storage_args(imp)
    imp.set_defaults(handler=_import)

    status = commands.add_parser("status", help="Show the database version and contents (JSON).")
    _storage_args(status)
    status.set_defaults(handler=_status)
    vulndb.set_defaults(handler=None)


def _storage_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        required=True,
        type=Path,
        help="The service's data directory (holds the SQLite database by default).",
    )
    parser.add_argument("--database-url", help="SQLAlchemy URL of the metadata database.")


def run(args: argparse.Namespace) -> int:
    """Entry for the main CLI: ``return scanning.cli.run(args)`` when command is vulndb."""
    return args.handler(args)


def _open(args: argparse.Namespace):
    from cloudraya_registry.bootstrap import open_database, prepare_data_dir

    return open_database(prepare_data_dir(args.data_dir), args.database_url)


def _import(args: argparse.Namespace) -> int:
    from cloudraya_registry.scanning.vulndb import VulnDbError, check_records, import_path

    try:
        checked = check_records(args.path)  # before the database is opened or created
    except VulnDbError as exc:
        print(f"cloudraya-registry vulndb import: {exc}", file=sys.stderr)
        return 2
    db = _open(args)
    try:
        result = import_path(db, args.path, checked)
    except VulnDbError as exc:
        print(f"cloudraya-registry vulndb import: {exc}", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    print(
        f"imported {result.records_read} OSV records from {args.path}: {result.added} added, "
        f"{result.updated} updated, {result.unchanged} unchanged, {result.withdrawn} withdrawn; "
        f"advisory database version {result.version} holds {result.advisory_count} advisories"
    )
    return 0


def _status(args: argparse.Namespace) -> int:
    from cloudraya_registry.scanning.vulndb import status

    db = _open(args)
    try:
        with db.read() as session:
            print(json.dumps(status(session), indent=2, sort_keys=True))
    finally:
        db.dispose()
    return 0
