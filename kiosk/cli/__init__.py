"""The `kiosk` command: thin click commands over the services.

Exit codes: 0 done (admit/exit for a scan), 1 refused (wait/deny, audit broken), 2 bad input or usage,
3 the database could not be used (nothing was recorded).
"""

from __future__ import annotations

import dataclasses
import importlib
import io
import json
import os
import socket
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kiosk.core.events import device_name
from kiosk.errors import KioskError, StoreError

if TYPE_CHECKING:
    from kiosk.store.db import Store

EXIT_REFUSED, EXIT_USAGE, EXIT_DATABASE = 1, 2, 3
APP_NAME = "closed-set-kiosk"


def default_db_path() -> Path:
    """--db, else KIOSK_DB, else the per-user data folder: a fresh machine needs no configuration."""
    from platformdirs import user_data_path

    return user_data_path(APP_NAME) / "kiosk.db"


class Context:
    """What every command shares: where the database is, which kiosk this is, and the open database."""

    def __init__(self, db_path: Path, kiosk_id: str, db_given: bool = True):
        self.db_path = db_path
        self.kiosk_id = kiosk_id
        self.db_given = db_given  # --db or $KIOSK_DB named the file (else it is the per-user default)
        self._db: Store | None = None

    def db(self, create: bool = False):
        if self._db is None:
            from kiosk.store import connect

            self._db = connect(self.db_path, create=create, device=self.kiosk_id)
        return self._db

    def close(self) -> None:
        """Close the database when the command ends: a command run in-process (tests, the TUI) leaves no
        connection behind holding the file (a restore or another kiosk finds it free)."""
        if self._db is not None:
            self._db.close()
            self._db = None


pass_context = click.make_pass_decorator(Context)


def plain(value):
    """Services' answers (dataclasses, lists of them) as JSON-ready values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: plain(item) for name, item in dataclasses.asdict(value).items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {name: plain(item) for name, item in value.items()}
    return value


def emit_json(data) -> None:
    click.echo(json.dumps(plain(data), ensure_ascii=False, indent=2, default=str))


def table(rows: list, columns: list[str]) -> None:
    from tabulate import tabulate

    if not rows:
        click.echo("(none)")
        return
    shown = [plain(row) for row in rows]
    click.echo(
        tabulate(
            [[row.get(column) if row.get(column) is not None else "" for column in columns] for row in shown],
            headers=columns,
        )
    )


def is_utf8(text: str) -> bool:
    """False for text holding bytes that are not UTF-8 (Python passes them on as lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def hidden_prompt(prompt: str, env: str, confirm: bool = False) -> str:
    """Ask with the input hidden; without a terminal, say to set ``env`` rather than wait for what cannot come."""
    if not sys.stdin.isatty():
        raise click.UsageError(f"{prompt} needed: set {env}, or run this in a terminal to be asked for it.")
    return click.prompt(prompt, hide_input=True, confirmation_prompt=confirm)


def secret_input(prompt: str, env: str, confirm: bool = False) -> str:
    """A secret from the environment, else a hidden prompt; never a hang without a terminal."""
    value = os.environ.get(env) or hidden_prompt(prompt, env, confirm)
    if not is_utf8(value):
        raise click.ClickException(f"{prompt} is not UTF-8 text - retype it, or set the terminal to UTF-8.")
    return value


def read_stdin(what: str) -> str:
    """Standard input as text, for ``what``: UTF-8 (a byte-order mark dropped), or exit 2 saying where it is not."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        raise click.ClickException(f"There is no standard input to read the {what} from. Nothing was recorded.")
    data = stream.read()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise click.ClickException(
            f"The {what} on standard input is not UTF-8 text (byte 0x{data[error.start]:02x} "
            f"at byte {error.start + 1}): save it as UTF-8 and send it again. Nothing was "
            "recorded."
        ) from None


def warn_undrawable(cards: list) -> None:
    """Say on standard error which badges hold characters no installed font has, and what to install."""
    from kiosk.badges import undrawable

    for warning in undrawable(cards):
        click.echo(f"Warning: {warning}", err=True)


def json_option(function):
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")(function)


# Each command's module, imported only when that command runs (or help lists them): `kiosk scan` and the
# kiosk itself start without loading the reports, check-ins and setup commands.
COMMAND_MODULES = {
    "scan": "door",
    "inside": "door",
    "log": "door",
    "audit": "door",
    "run": "door",
    "demo": "door",
    "init": "people",
    "pin": "people",
    "people": "people",
    "badge": "people",
    "scene": "scenes protocol",
    "report": "reports",
    "checkin": "checkins",
    "checkins": "checkins",
    "followups": "checkins",
    "hub": "hub",
    "sync": "sync",
    "join": "sync",
    "backup": "backup",
    "restore": "backup",
}


class KioskGroup(click.Group):
    """Loads each command's module on demand, and turns a SQLite failure in any command into a message
    naming the file (disk full, damaged, locked)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_MODULES)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMAND_MODULES and name not in self.commands:
            for module in COMMAND_MODULES[name].split():  # a group's commands may live in several modules
                importlib.import_module(f"kiosk.cli.{module}")
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except sqlite3.Error as error:
            from kiosk.store.db import explain

            raise StoreError(explain(ctx.obj.db_path, error)) from None


@click.group(cls=KioskGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="KIOSK_DB",
    help="Database file (default: $KIOSK_DB, else the per-user data folder).",
)
@click.option(
    "--kiosk-id",
    envvar="KIOSK_ID",
    default=lambda: device_name(socket.gethostname()),
    show_default="host name",
    callback=lambda ctx, param, value: checked_kiosk_id(value),
    help="Name of this kiosk, stored with every event it records ($KIOSK_ID): letters, digits, '.', '_' or '-'.",
)
@click.version_option(package_name=APP_NAME)
@click.pass_context
def cli(ctx: click.Context, db_path: Path | None, kiosk_id: str) -> None:
    """Closed-set stage-door kiosk: badges, approved lists, the door log and check-ins.

    Run without a command to open the door screen.
    """
    ctx.obj = Context(db_path or default_db_path(), kiosk_id, db_given=db_path is not None)
    ctx.call_on_close(ctx.obj.close)
    if ctx.invoked_subcommand is None:
        from kiosk.cli.door import run

        ctx.invoke(run)


def checked_kiosk_id(value: str) -> str:
    from kiosk.core.events import DEVICE_PATTERN

    if not DEVICE_PATTERN.match(value):
        raise click.BadParameter(
            f"a kiosk id is 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit, not {value!r}",
            param_hint="--kiosk-id",
        )
    return value


def check_arguments(args: list[str]) -> None:
    """Refuse arguments holding bytes that are not UTF-8 (Python passes them on as lone surrogates, which no
    file, database or terminal can take) before any command sees them."""
    for arg in args:
        if not is_utf8(arg):
            shown = arg.encode("utf-8", "backslashreplace").decode("utf-8")
            raise click.UsageError(f"'{shown}' is not UTF-8 text - retype it, or set the terminal to UTF-8.")


def main(argv: list[str] | None = None) -> None:
    """Entry point: every failure becomes a clear message and an exit code, never a traceback."""
    for stream in (sys.stdout, sys.stderr):  # a terminal that is not UTF-8 shows "?" for a name it cannot draw,
        if isinstance(stream, io.TextIOWrapper):  # instead of a traceback after the scan was recorded
            stream.reconfigure(errors="replace")
    try:
        check_arguments(sys.argv[1:] if argv is None else argv)
        code = cli.main(args=argv, prog_name="kiosk", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_USAGE)
    except click.ClickException as error:
        error.show()
        sys.exit(EXIT_USAGE)
    except StoreError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(EXIT_DATABASE)
    except KioskError as error:  # a refused request, a badge or report that could not be written
        click.echo(f"Error: {error}", err=True)
        sys.exit(EXIT_USAGE)
    except OSError as error:
        click.echo(f"Error: {error.filename or ''} {error.strerror or error}".strip(), err=True)
        sys.exit(EXIT_DATABASE)
    sys.exit(code if isinstance(code, int) else 0)
