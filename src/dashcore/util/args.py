"""Dash-style options: ``-name[=value]`` on the command line and ``dash.conf`` with ``[regtest]`` sections.

Only regtest is supported: the chain must be selected with ``-regtest``, ``-chain=regtest``
or ``regtest=1`` in the config file, and anything else is a start-up error.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

CHAIN = "regtest"
DEFAULT_CONF = "dash.conf"
_LEADING_INT = re.compile(r"\s*[-+]?\d+")
SENSITIVE = {"rpcpassword", "rpcauth", "masternodeblsprivkey", "sporkkey"}
#: Options a config file gives only in the chain's section (dashd's NETWORK_ONLY): its top level is not read for them.
NETWORK_ONLY = {"addnode", "bind", "connect", "port", "rpcbind", "rpcport", "wallet", "walletdir"}


class ArgsError(Exception):
    """A user mistake in the options or config file; the message is shown as is."""


class CommandLineError(ArgsError):
    """The command line cannot be parsed: ``detail`` says why (dash-cli shows it without dashd's "Error: ")."""

    def __init__(self, detail: str):
        super().__init__(f"Error: Error parsing command line arguments: {detail}")
        self.detail = detail


@dataclass(frozen=True)
class Option:
    name: str
    help: str = ""
    value: str = ""  # placeholder shown in -help, e.g. "<port>"
    hidden: bool = False  # accepted but not listed (options of Dash Core that have no effect here)


class ArgsManager:
    """Options of one process, as dashd's ArgsManager reads them: for one value, the command line wins over
    ``[regtest]``, which wins over the top of the config file (never read for the network-only options); a list
    (``get_list``) takes them all, in that order, unless the command line negated the option."""

    def __init__(self, options: list[Option]):
        self._options = {o.name: o for o in options}
        self._cmdline: dict[str, list[str]] = {}
        self._config: dict[str, list[str]] = {}
        self._config_section: dict[str, list[str]] = {}
        self.positional: list[str] = []
        self.unknown_config: list[str] = []
        self.config_path = ""
        self._log_lines: list[str] = []  # as dashd logs its options at start
        self._negated: set[str] = set()  # options whose last command-line value was a -noX
        self._cmdline_includes: list[str] = []
        self.warnings: list[str] = []  # for stderr, as dashd writes them (the caller prints them)

    # -- parsing ---------------------------------------------------------------------------

    def parse_command_line(self, argv: list[str], allow_positional: bool = False) -> None:
        for i, arg in enumerate(argv):
            if not arg.startswith("-") or arg == "-":
                if allow_positional:
                    self.positional = list(argv[i:])
                    return
                raise CommandLineError(f"Command line contains unexpected token '{arg}', see the -help output for "
                                       "a list of options.")
            body = arg[2:] if arg.startswith("--") else arg[1:]
            name, _, value = body.partition("=")
            has_value = "=" in body
            if name in ("h", "?"):
                name = "help"
            negated = name not in self._options
            name, value = self._interpret(name, value, has_value, lambda n: f"Invalid parameter -{n}")
            self._cmdline.setdefault(name, []).append(value)
            shown = self._shown(name, value, negated)
            self._log_lines.append(f"Command-line arg: {name}={shown}")
            if negated and value == "0":
                self._negated.add(name)
            else:
                self._negated.discard(name)
                if name == "includeconf":
                    self._cmdline_includes.append(shown)
        if self._cmdline_includes:
            raise CommandLineError("-includeconf cannot be used from commandline; "
                                   f"-includeconf={self._cmdline_includes[0]}")

    def _interpret(self, name: str, value: str, has_value: bool, err) -> tuple[str, str]:
        if name.startswith("regtest.") and name != "regtest.":
            name = name[len("regtest."):]
        if name not in self._options and name.startswith("no") and name[2:] in self._options:
            if has_value and value not in ("", "0", "1"):
                raise CommandLineError(f"Negating of -{name[2:]} is meaningless")
            return name[2:], "0" if value != "0" else "1"
        if name not in self._options:
            raise CommandLineError(err(name))
        return name, value if has_value else "1"

    def read_config_file(self, datadir: str) -> None:
        conf = self.get("conf", DEFAULT_CONF)
        path = conf if os.path.isabs(conf) else os.path.join(datadir, conf)
        if not os.path.exists(path):
            if self.is_set("conf"):
                raise ArgsError(f"Error: Error reading configuration file: specified config file \"{conf}\" could not be opened.")
            return
        self.config_path = path
        self._read_file(path, included=False)
        if "includeconf" in self._negated:
            return
        # included files are read after the main one, [regtest]'s before the top's, relative to the data directory
        for include in self._config_section.pop("includeconf", []) + self._config.pop("includeconf", []):
            include_path = os.path.join(datadir, include)
            if not os.path.isfile(include_path):
                raise ArgsError(f"Error: Error reading configuration file: Failed to include configuration file "
                                f"{include}")
            self._read_file(include_path, included=True)

    def _read_file(self, path: str, included: bool) -> None:
        try:
            with open(path, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except (OSError, UnicodeDecodeError) as e:
            raise ArgsError(f"Error: Error reading configuration file: {e}") from None
        section = ""
        for lineno, raw in enumerate(lines, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1].strip()
                continue
            if "=" not in line:
                raise ArgsError(f"Error: Error reading configuration file: parse error on line {lineno}: {line}")
            key, value = (p.strip() for p in line.split("=", 1))
            if key.startswith("-"):
                raise ArgsError(f"Error: Error reading configuration file: parse error on line {lineno}: {line}, "
                                "options in configuration file must be specified without leading -")
            if "." in key:
                section, key = key.split(".", 1)[0], key.split(".", 1)[1]
            if section not in ("", CHAIN):
                continue  # another chain's section
            base = key[2:] if key.startswith("no") and key[2:] in self._options else key
            if base not in self._options:
                self.unknown_config.append(key)
                continue
            value = ("0" if value != "0" else "1") if base != key else value
            if included and base == "includeconf":
                self.warnings.append(f"warning: -includeconf cannot be used from included files; ignoring "
                                     f"-includeconf={value}")
                continue
            target = self._config_section if section else self._config
            target.setdefault(base, []).append(value)
            self._log_lines.append(f"Config file arg: {f'[{section}] ' if section else ''}{base}="
                                   f"{self._shown(base, value, base != key)}")

    def _shown(self, name: str, value: str, negated: bool) -> str:
        """A value as dashd's option log writes it: JSON, ``false`` for -noX, hidden for secrets."""
        if name in SENSITIVE:
            return "****"
        if negated:
            return "false" if value == "0" else "true"
        return json.dumps(value, ensure_ascii=False)

    def log_lines(self) -> list[str]:
        """``Config file arg: ...`` and ``Command-line arg: ...``, one line per value given."""
        config = [line for line in self._log_lines if line.startswith("Config")]
        return config + [line for line in self._log_lines if not line.startswith("Config")]

    def known(self, name: str) -> bool:
        return name in self._options

    # -- queries ---------------------------------------------------------------------------

    def _sources(self, name: str) -> list[dict[str, list[str]]]:
        """Where ``name`` is looked for, highest priority first."""
        if name in self._negated:
            return [self._cmdline]
        if name in NETWORK_ONLY:
            return [self._cmdline, self._config_section]
        return [self._cmdline, self._config_section, self._config]

    def _values(self, name: str) -> list[str]:
        """The values of the source that wins."""
        for source in self._sources(name):
            if name in source:
                return source[name]
        return []

    def is_set(self, name: str) -> bool:
        return bool(self._values(name))

    def get(self, name: str, default: str = "") -> str:
        values = self._values(name)
        return values[-1] if values else default

    def get_int(self, name: str, default: int) -> int:
        value = self.get(name, "")
        if value == "":
            return default
        # as dashd's atoi: the leading integer counts ("-mocktime=1417716613.0" is 1417716613)
        m = _LEADING_INT.match(value)
        if not m:
            raise ArgsError(f"Error: Invalid value for -{name}: '{value}'")
        return int(m.group())

    def get_bool(self, name: str, default: bool = False) -> bool:
        value = self.get(name, "")
        if value == "":
            return default if not self.is_set(name) else True
        return value.lower() not in ("0", "false", "no", "")

    def get_list(self, name: str) -> list[str]:
        """Every value of a list option: the command line's, then ``[regtest]``'s, then the top's."""
        return [v for source in self._sources(name) for v in source.get(name, [])]

    def effective_args(self) -> list[str]:
        """Every option that is set, as ``-name=value`` strings for a spawned process: the values of its
        sources lowest priority first, so that the last (what ``get`` reads) is the one that wins here and
        ``get_list`` there has them all."""
        return [f"-{name}={v}" for name in self._options for source in reversed(self._sources(name))
                for v in source.get(name, [])]

    def load_effective_args(self, settings: list[str], config_path: str = "") -> None:
        """Take another process's ``effective_args()`` as this one's command line; options this
        executable does not have are left out."""
        for item in settings:
            name, _, value = item.lstrip("-").partition("=")
            if name in self._options:
                self._cmdline.setdefault(name, []).append(value)
        self.config_path = config_path

    def command_line_args(self) -> list[str]:
        """The parsed command line again, as ``-name=value`` strings (for a spawned child)."""
        return [f"-{k}={v}" for k, vs in self._cmdline.items() for v in vs]

    # -- chain and data directory ----------------------------------------------------------

    def select_chain(self) -> None:
        """Raise ArgsError unless regtest was chosen (and nothing else)."""
        for other in ("testnet", "devnet"):
            if self.get_bool(other, False):
                raise ArgsError(f"Error: only regtest is supported, but -{other} was given.")
        chain = self.get("chain", "")
        if chain and chain != CHAIN:
            raise ArgsError(f"Error: only regtest is supported, but -chain={chain} was given.")
        if not (chain == CHAIN or self.get_bool("regtest", False)):
            raise ArgsError("Error: only regtest is supported: start with -regtest, or put regtest=1 in dash.conf.")

    def datadir(self) -> str:
        """The data directory (which must exist when given with -datadir)."""
        if self.is_set("datadir"):
            path = os.path.abspath(os.path.expanduser(self.get("datadir")))
            if not os.path.isdir(path):
                raise ArgsError(f"Error: Specified data directory \"{self.get('datadir')}\" does not exist.")
            return path
        path = os.path.join(os.path.expanduser("~"), ".dashcore")
        os.makedirs(path, exist_ok=True)
        return path

    def help_text(self, usage: str) -> str:
        lines = [usage, "", "Options:", ""]
        for o in sorted(self._options.values(), key=lambda o: o.name):
            if o.hidden:
                continue
            lines.append(f"  -{o.name}{'=' + o.value if o.value else ''}")
            lines.append(f"       {o.help}")
            lines.append("")
        return "\n".join(lines)
