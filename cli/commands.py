"""How a subcommand is declared: its one-line help, the same as a description, and an
example, so `tenant-registry COMMAND --help` says what it does and shows how."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any


def command(sub: Any, name: str, summary: str, *examples: str) -> argparse.ArgumentParser:
    epilog = "examples:\n" + "\n".join(f"  {e}" for e in examples) if examples else None
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=summary,
        description=summary[0].upper() + summary[1:] + ".",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser


def moment(text: str) -> datetime:
    """A time argument: ISO 8601, UTC when it names no zone."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
