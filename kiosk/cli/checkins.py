"""Wellbeing check-ins from the command line: the IC's confidential records and the content-free lists.

The IC passphrase comes from ``$KIOSK_IC_PASSPHRASE`` or a hidden prompt (a new one from
``$KIOSK_IC_NEW_PASSPHRASE`` or a prompt asked twice); with neither a terminal nor the variable the command
stops with exit 2 rather than wait for input that cannot come.  A wrong passphrase exits 1, nothing changed.

The sealed fields of a check-in (note, signposting, follow-up owner) need never be typed on the command line,
which every local user can read (``ps``, /proc/PID/cmdline) while the command runs: each comes from standard
input (``-``), a hidden prompt (the option alone) or its ``$KIOSK_IC_...`` variable (readable by its owner
only); one typed on the command line is recorded, with a warning.
"""

from __future__ import annotations

import functools
import getpass
import sys

import click
from click.core import ParameterSource

from kiosk.cli import (
    EXIT_REFUSED,
    cli,
    emit_json,
    hidden_prompt,
    json_option,
    pass_context,
    plain,
    read_stdin,
    secret_input,
    table,
)
from kiosk.core.checkins import RECORDABLE, Status, failed_attempts_words
from kiosk.services import checkins as service
from kiosk.services import retention
from kiosk.services.access import PinRefused

PASSPHRASE_ENV, NEW_PASSPHRASE_ENV, PIN_ENV = "KIOSK_IC_PASSPHRASE", "KIOSK_IC_NEW_PASSPHRASE", "KIOSK_SUPERVISOR_PIN"
OVERVIEW_COLUMNS = ["scene", "ref", "name", "kind", "state", "updated_at"]
ASK = "\0ask"  # the value of a sealed option given alone: ask for it, hidden
SEALED = {"note": "Note", "signposting": "Signposting", "follow_up_owner": "Follow-up owner"}


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "IC"


def by_option(function):
    return click.option(
        "--by",
        envvar="KIOSK_IC_NAME",
        default=_login_name,
        show_default="your login name",
        help="Who reads or writes, for the audit ($KIOSK_IC_NAME).",
    )(function)


def refused(function):
    """A wrong passphrase or PIN is a refusal (exit 1), not bad input."""

    @functools.wraps(function)
    def run(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (service.PassphraseRefused, PinRefused) as error:
            click.echo(f"Refused: {error}", err=True)
            sys.exit(EXIT_REFUSED)

    return run


def _flag_and_variable(name: str) -> tuple[str, str]:
    return f"--{name.replace('_', '-')}", f"KIOSK_IC_{name.upper()}"


def sealed_option(name: str, words: str):
    """``--NAME``: a sealed field, from standard input (``-``), a hidden prompt (given alone) or $KIOSK_IC_NAME."""
    flag, env = _flag_and_variable(name)
    return click.option(
        flag,
        name,
        default="",
        envvar=env,
        is_flag=False,
        flag_value=ASK,
        metavar="TEXT|-",
        help=f"{words}, sealed (only the IC reads it): '-' for standard input, the option "
        f"alone to be asked (hidden), or ${env}.",
    )


def sealed_values(**given: str) -> dict[str, str]:
    """Each sealed field from where it was given: standard input, a hidden prompt, the environment or the
    command line (then with a warning on stderr).  Read before anything is unlocked, so bad input records nothing."""
    from_stdin = [name for name, value in given.items() if value == "-"]
    if len(from_stdin) > 1:
        raise click.UsageError(
            "Only one field can be read from standard input ('-'): give the others alone to be "
            "asked for them, or in their $KIOSK_IC_... variables. Nothing was recorded."
        )
    source = click.get_current_context().get_parameter_source
    values = {}
    for name, value in given.items():
        flag, env = _flag_and_variable(name)
        if value == "-":
            value = read_stdin(SEALED[name].lower())
        elif value == ASK:
            value = hidden_prompt(f"{SEALED[name]} (sealed)", env)
        elif value and source(name) is ParameterSource.COMMANDLINE:
            click.echo(
                f"Warning: {flag} was given on the command line, where other users of this machine can read "
                f"it while the command runs. Next time give '{flag} -' (standard input), {flag} alone (asked, "
                f"hidden) or ${env}.",
                err=True,
            )
        values[name] = value
    return values


def told_of_failures(session: service.ICSession) -> service.ICSession:
    """Tell the IC (stderr) how many attempts at their passphrase failed since their last unlock."""
    if session.failed_attempts:
        click.echo(failed_attempts_words(session.failed_attempts), err=True)
    return session


def ic_session(ctx, by: str) -> service.ICSession:
    db = ctx.db()
    return told_of_failures(service.unlock(db, secret_input("IC passphrase", PASSPHRASE_ENV), by, ctx.kiosk_id))


class DefaultGroup(click.Group):
    """A group whose first word may be an argument of its default command: `kiosk checkins 42` lists scene 42.

    (click cannot give a group an optional argument beside subcommands; a scene called like a subcommand is
    reached with the explicit spelling, `kiosk checkins list purge`.)
    """

    def __init__(self, *args, default: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.default = default

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ctx.help_option_names):
            args = [self.default, *args]
        return super().parse_args(ctx, args)


@cli.command()
@click.argument("scene")
@click.argument("person")
@click.option("--status", type=click.Choice([str(status) for status in RECORDABLE]), required=True)
@sealed_option("note", "A short note")
@sealed_option("signposting", "Support offered (helpline, counsellor...)")
@sealed_option("follow_up_owner", "Who follows up (needs --due)")
@click.option("--due", default="", help="Follow-up due date, YYYY-MM-DD; needs --follow-up-owner.")
@by_option
@json_option
@pass_context
@refused
def checkin(ctx, scene, person, status, note, signposting, follow_up_owner, due, by, as_json) -> None:
    """Record PERSON's post-scene check-in for SCENE (replaces an earlier record).

    Needs the IC passphrase ($KIOSK_IC_PASSPHRASE or a hidden prompt).  The note, signposting and follow-up
    owner are sealed; the production sees only done or follow-up open.  Keep them off the command line, where
    other users of this machine can read them: '-' reads one from standard input, an option given alone asks
    for it (hidden), and $KIOSK_IC_NOTE, $KIOSK_IC_SIGNPOSTING, $KIOSK_IC_FOLLOW_UP_OWNER hold them.
    """
    sealed = sealed_values(note=note, signposting=signposting, follow_up_owner=follow_up_owner)
    owner, when = (sealed.get("follow_up_owner") or "").strip(), (due or "").strip()
    if status == Status.FOLLOW_UP and not (owner and when):
        raise click.UsageError("A follow-up needs --follow-up-owner and --due.")
    if bool(owner) != bool(when):
        raise click.UsageError("Give both --follow-up-owner and --due, or neither.")
    service.check_entry(status, due=due, **sealed)  # bad input: exit 2 before the passphrase is even tried
    row = service.record(ic_session(ctx, by), scene, person, status, due=due, **sealed)
    if as_json:
        emit_json(row)
        return
    follow_up = f" Follow-up due {row.follow_up_due}." if row.follow_up_due else ""
    click.echo(f"Check-in recorded: {row.name}, scene {row.scene} - {row.status_words}.{follow_up}")


@cli.group(cls=DefaultGroup, default="list")
def checkins() -> None:
    """Post-scene check-ins: `kiosk checkins [SCENE]` lists them (pending / done / follow-up open only)."""


@checkins.command("list")
@click.argument("scene", required=False)
@click.option(
    "--notes",
    "with_notes",
    is_flag=True,
    help="Open the notes too (IC passphrase needed; every record opened is logged).",
)
@by_option
@json_option
@pass_context
@refused
def checkins_list(ctx, scene: str | None, with_notes: bool, by: str, as_json: bool) -> None:
    """Check-ins of SCENE (or all): who, and pending / done / follow-up open - never what was said."""
    if with_notes:
        rows = service.notes(ic_session(ctx, by), scene)
        if as_json:
            emit_json(rows)
            return
        table(
            rows,
            [
                "scene",
                "ref",
                "name",
                "status_words",
                "note",
                "signposting",
                "follow_up_owner",
                "follow_up_due",
                "follow_up_done_on",
                "checked_in_at",
            ],
        )
        opened = sum(1 for row in rows if row.note is not None)
        click.echo(f"\n{opened} record(s) opened; each opening is recorded in the log.")
        return
    states = service.overview(ctx.db(), scene)
    if as_json:
        emit_json(states)
        return
    table(states, OVERVIEW_COLUMNS)
    counts = service.completion(ctx.db(), scene)
    click.echo(
        f"\n{counts.pending} pending, {counts.offered} offered, {counts.done} done, "
        f"{counts.follow_up_open} follow-up open."
    )


@checkins.command("add")
@click.argument("scene")
@click.argument("people", nargs=-1, required=True)
@by_option
@pass_context
@refused
def checkins_add(ctx, scene: str, people: tuple[str, ...], by: str) -> None:
    """Add a pending check-in on SCENE for PEOPLE (crew too; refs or names; IC passphrase needed)."""
    session = ic_session(ctx, by)
    rows = [service.add(session, scene, person) for person in people]
    click.echo(f"Check-in on scene {scene} for: " + ", ".join(f"{row.name} ({row.state})" for row in rows))


@checkins.command("purge")
@click.option("--older-than", required=True, help="Retention period: days or weeks, e.g. 30d or 12w.")
@by_option
@json_option
@pass_context
@refused
def checkins_purge(ctx, older_than: str, by: str, as_json: bool) -> None:
    """Erase for good the notes of check-ins last changed before the period; statuses and times stay."""
    result = retention.purge(ic_session(ctx, by), older_than)
    if as_json:
        emit_json(result)
        return
    click.echo(
        f"Erased the notes of {result['erased']} check-in(s) older than {result['older_than']}; "
        "statuses and times stay."
    )
    if result["kept_open_follow_ups"]:
        click.echo(f"Kept {result['kept_open_follow_ups']} with a follow-up still open (erased once done and old).")
    if not result["wal_emptied"]:
        click.echo(
            "Another program was reading the database: run the purge again later so the write-ahead "
            "log is emptied too.",
            err=True,
        )


@checkins.command("passphrase")
@click.option(
    "--forgotten",
    is_flag=True,
    help="The passphrase is lost: erase every note for good and set a new one (supervisor PIN needed).",
)
@click.option("--yes", is_flag=True, help="With --forgotten: do not ask for confirmation.")
@by_option
@pass_context
@refused
def checkins_passphrase(ctx, forgotten: bool, yes: bool, by: str) -> None:
    """Set the IC passphrase, or change it: every note is re-sealed in one transaction.

    The passphrase comes from $KIOSK_IC_PASSPHRASE or a hidden prompt; when changing, that is the current one
    and the new one comes from $KIOSK_IC_NEW_PASSPHRASE or a prompt asked twice.
    """
    db = ctx.db()
    click.echo(service.LOST_PASSPHRASE_WARNING)
    if forgotten:
        click.echo(
            "This erases every check-in note, signposting and follow-up owner for good; statuses and times stay."
        )
        if not yes and not (sys.stdin.isatty() and click.confirm("Erase them and set a new passphrase?")):
            raise click.UsageError("Nothing was erased (give --yes to confirm without a terminal).")
        pin = secret_input("Supervisor PIN", PIN_ENV)
        retention.reset_lost_passphrase(
            db, secret_input("New IC passphrase", NEW_PASSPHRASE_ENV, confirm=True), pin, by, ctx.kiosk_id
        )
        click.echo("Every note was erased and the new IC passphrase is set.")
    elif service.passphrase_is_set(db):
        current = secret_input("Current IC passphrase", PASSPHRASE_ENV)
        told_of_failures(
            retention.change_passphrase(
                db, current, secret_input("New IC passphrase", NEW_PASSPHRASE_ENV, confirm=True), by, ctx.kiosk_id
            )
        )
        click.echo("IC passphrase changed: every check-in was re-sealed; the old passphrase opens nothing now.")
    else:
        service.set_passphrase(db, secret_input("New IC passphrase", PASSPHRASE_ENV, confirm=True), by, ctx.kiosk_id)
        click.echo("IC passphrase set.")


@cli.group(cls=DefaultGroup, default="list")
def followups() -> None:
    """Follow-ups across all scenes: `kiosk followups` lists them (IC passphrase needed)."""


@followups.command("list")
@by_option
@json_option
@pass_context
@refused
def followups_list(ctx, by: str, as_json: bool) -> None:
    """Every follow-up: open ones first (soonest due first), then done ones; owners opened and logged."""
    rows = [{**plain(row), "open": row.follow_up_open} for row in service.follow_ups(ic_session(ctx, by))]
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        row["open"] = "OVERDUE" if row["overdue"] else "open" if row["open"] else "done"
    table(
        rows, ["open", "scene", "ref", "name", "status_words", "follow_up_owner", "follow_up_due", "follow_up_done_on"]
    )


@checkins.command("close")
@click.argument("scene")
@click.argument("person")
@by_option
@pass_context
@refused
def checkins_close(ctx, scene: str, person: str, by: str) -> None:
    """Close PERSON's offered check-in for SCENE as not needed (IC passphrase needed)."""
    from kiosk.services.offered import close_not_needed

    row = close_not_needed(ic_session(ctx, by), scene, person)
    click.echo(f"Offered check-in of {row.name} for scene {row.scene}: closed, not needed.")


@followups.command("done")
@click.argument("scene")
@click.argument("person")
@click.option("--on", "on", default="", help="Date it was done, YYYY-MM-DD (default: today).")
@by_option
@pass_context
@refused
def followups_done(ctx, scene: str, person: str, on: str, by: str) -> None:
    """Mark PERSON's follow-up for SCENE as done (IC passphrase needed)."""
    row = service.mark_follow_up_done(ic_session(ctx, by), scene, person, on or None)
    click.echo(f"Follow-up of {row.name} for scene {row.scene} done on {row.follow_up_done_on}.")
