"""What every executable's start-up shares: option parsing with -help/-version, and the Echo interface."""

from __future__ import annotations

import sys

from ..interfaces import Echo
from ..util.args import ArgsManager


class EchoImpl(Echo):
    def echo(self, echo: str) -> str:
        return echo


def parse_args(argv: list[str], usage: str, options, version: str) -> ArgsManager | None:
    """Parsed options with the config file read and regtest selected; None after -help/-version."""
    args = ArgsManager(options)
    args.parse_command_line(argv)
    if args.get_bool("help") or args.is_set("?"):
        sys.stdout.write(args.help_text(usage) + "\n")
        return None
    if args.get_bool("version"):
        sys.stdout.write(f"Dash Core version {version}\n")
        return None
    args.read_config_file(args.datadir())
    for warning in args.warnings:
        sys.stderr.write(warning + "\n")
    args.select_chain()
    return args
