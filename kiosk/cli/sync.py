"""Syncing with the hub: `kiosk sync` (once, or following it), `kiosk join` (a new kiosk built from the hub).

The hub is named by this kiosk's own connection string (what `kiosk hub device add` printed): --hub without
its password, or the whole of it in $KIOSK_HUB.  Otherwise the password comes from $KIOSK_HUB_PASSWORD, a
libpq passfile, or, in a terminal, a hidden prompt; never from the command line.

Exit codes: 0 synced; 1 refused (this device revoked, a history that conflicts with the hub's, a wrong
password or certificate); 2 bad input (another device's login, a file that exists); 3 the hub unreachable or
this kiosk's file unusable - nothing is lost: the events wait here for the next sync.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from datetime import datetime
from pathlib import Path

import click

from kiosk.cli import EXIT_DATABASE, EXIT_USAGE, checked_kiosk_id, cli, emit_json, json_option, pass_context, plain
from kiosk.cli.hub import exit_code, hub_option, password


def hub_client(dsn: str):
    """This kiosk's client at the hub, and the password it logged in with: $KIOSK_HUB_PASSWORD, or none (libpq
    then finds it in the address or a passfile); when the hub refuses for want of one and a person is at a
    terminal, they are asked for it (hidden)."""
    from kiosk.errors import AUTH
    from kiosk.hub import HubClient, HubError

    given = password()
    try:
        return HubClient(dsn, given), given
    except HubError as error:
        if error.reason != AUTH or given is not None or not sys.stdin.isatty():
            raise
    asked = click.prompt("Hub password", hide_input=True)
    return HubClient(dsn, asked), asked


def result_code(result) -> int:
    from kiosk.services.sync import STORE, WRONG_DEVICE

    if result.ok:
        return 0
    return {STORE: EXIT_DATABASE, WRONG_DEVICE: EXIT_USAGE}.get(result.reason, exit_code(result.reason))


def words(result) -> list[str]:
    """What a sync did and what to know about it, in lines."""
    if not result.ok:
        lines = [f"Not synced: {result.error}"]
        if result.retry:
            lines.append(
                f"Nothing is lost: {result.waiting} event(s) of this kiosk wait here for the next sync."
                if result.waiting
                else "Nothing of this kiosk is waiting."
            )
        return lines
    lines = [
        f"Synced with the hub: {result.pushed} event(s) pushed, {result.pulled} pulled"
        + (f"; {result.waiting} recorded meanwhile wait for the next sync." if result.waiting else ".")
    ]
    if result.skew_flagged:
        lines.append(
            f"This kiosk's clock is {abs(result.skew_seconds):.0f} s off the hub's: set it right (the "
            "record's order does not depend on it, but people read its times)."
        )
    if result.conflicts:
        lines.append(
            f"{result.conflicts} change(s) were made on two machines without either seeing the other; "
            "the record settled them (`kiosk sync --json` lists them)."
        )
    for device, count in sorted(result.stranded.items()):
        lines.append(
            f"{count} event(s) recorded here as device {device} are not at the hub: only {device}'s own "
            "login can push them (run `kiosk sync` as that kiosk)."
        )
    return lines


def json_of(db, result) -> dict:
    """The result, with the anomalies at every door and the conflicts the record settled."""
    from kiosk.services.anomalies import find

    found = find(db)
    return {
        **plain(result),
        "anomalies": plain(found.anomalies),
        "conflict_list": plain(found.conflicts),
        "names": found.names,
    }


@cli.command("sync")
@hub_option
@click.option(
    "--follow",
    is_flag=True,
    help="Keep syncing: woken when another kiosk pushes, and at least every "
    "30 s; reconnects after faults. Stop with ctrl+c.",
)
@json_option
@pass_context
def sync_command(ctx, dsn: str, follow: bool, as_json: bool) -> None:
    """Push this kiosk's events to the hub, then pull everyone's (exit 0 synced, 3 hub unreachable)."""
    from kiosk.core.events import EventError
    from kiosk.errors import KioskError
    from kiosk.hub import HubError
    from kiosk.services.follow import report_anomalies
    from kiosk.services.sync import failed, sync_once

    db = ctx.db()
    try:
        client, given = hub_client(dsn)
        with client:
            result = sync_once(db, client, ctx.kiosk_id)
            report_anomalies(db, client)
    except (HubError, KioskError, EventError) as error:
        result = failed(db, ctx.kiosk_id, error)
        given = None
    if as_json and follow:  # one object a line while following
        click.echo(json.dumps(plain(result), ensure_ascii=False, default=str))
    elif as_json:
        emit_json(json_of(db, result))
    else:
        for line in words(result):
            click.echo(line, err=not result.ok)
    if follow and (result.ok or result.retry):
        following(ctx, dsn, given, as_json)
    sys.exit(result_code(result))


def following(ctx, dsn: str, given: str | None, as_json: bool) -> None:
    """`kiosk sync --follow`, after the first sync: a line (or a JSON object) for each sync that did something
    or changed state, until ctrl+c or SIGTERM (exit 0) or a failure that trying again cannot cure."""
    from kiosk.services.follow import follow

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    shown: list[tuple] = []

    def show(result) -> None:
        state = (result.ok, result.reason, result.waiting > 0)
        if result.pushed or result.pulled or (shown and shown[-1] != state):
            if as_json:
                click.echo(json.dumps(plain(result), ensure_ascii=False, default=str))
            else:
                stamp = datetime.now().strftime("%H:%M:%S")
                for line in words(result):
                    click.echo(f"{stamp}  {line}", err=not result.ok)
        shown.append(state)

    try:
        last = follow(ctx.db_path, dsn, ctx.kiosk_id, given, stop=stop, on_result=show)
    except KeyboardInterrupt:
        sys.exit(0)
    sys.exit(0 if stop.is_set() else result_code(last))


@cli.command("join")
@hub_option
@click.option(
    "--db",
    "new_db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The new kiosk file (default: the --db given before the command, $KIOSK_DB, or the per-user "
    "file); it must not exist.",
)
@click.option(
    "--kiosk-id",
    "kiosk_id",
    callback=lambda ctx, param, value: value and checked_kiosk_id(value),
    help="This kiosk's name: its device at the hub (default: the --kiosk-id before the command, "
    "$KIOSK_ID, or the host name).",
)
@json_option
@pass_context
def join_command(ctx, dsn: str, new_db: Path | None, kiosk_id: str | None, as_json: bool) -> None:
    """Build a new kiosk (a second door, a spare, the office) from the hub: roster, badges, scenes, approvals,
    check-ins and the whole record."""
    from kiosk.hub import HubError
    from kiosk.services.join import join

    path, kiosk = new_db or ctx.db_path, kiosk_id or ctx.kiosk_id
    try:
        client, given = hub_client(dsn)
        client.close()
        joined = join(path, dsn, kiosk, given)
    except HubError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(exit_code(error.reason))
    if as_json:
        emit_json(joined)
        return
    click.echo(
        f"Joined production {joined.production!r} as {joined.device}: {joined.events} event(s), "
        f"{joined.people} people, {joined.active_badges} valid badge(s), {joined.scenes} scene(s)."
    )
    click.echo(
        f"Kiosk file {joined.path}; audit anchor {joined.anchor}. Run `kiosk sync --follow` (or the door "
        "screen) to keep it in step."
    )
