"""How a subcommand is declared: its one-line help, the same as a description, and an
example, so `tenant-registry COMMAND --help` says what it does and shows how."""

from __future__ import annotations

import argparse
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
