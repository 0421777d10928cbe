"""Hub administration commands: create or upgrade the hub, add and revoke devices, status, verify.

The hub is named by a libpq connection string: --hub, which may not hold a password (a command line is visible
to others), else $KIOSK_HUB, which may (the environment is this user's own).  Otherwise the password comes from
$KIOSK_HUB_PASSWORD, else from what libpq reads itself ($PGPASSWORD, ~/.pgpass or $PGPASSFILE).
Exit codes: 0 done, 1 refused or broken, 2 bad input, 3 hub unreachable.
"""

from __future__ import annotations

import os
import sys
from dataclasses import asdict

import click
from click.core import ParameterSource

from kiosk.cli import EXIT_DATABASE, EXIT_REFUSED, EXIT_USAGE, cli, emit_json, json_option, table

PASSWORD_ENV = "KIOSK_HUB_PASSWORD"


class HubGroup(click.Group):
    """Turns a HubError in any hub command into its message and exit code."""

    def invoke(self, ctx: click.Context):
        from kiosk.hub import HubError

        try:
            return super().invoke(ctx)
        except HubError as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(exit_code(error.reason))


def exit_code(reason: str | None) -> int:
    """The exit code for a HubError's reason: 2 bad input, 3 unreachable, 1 any other refusal."""
    from kiosk.errors import INVALID, UNREACHABLE

    return {INVALID: EXIT_USAGE, UNREACHABLE: EXIT_DATABASE}.get(reason or "", EXIT_REFUSED)


def hub_dsn(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    """The hub's connection string, refused when the command line gives it with a password (others can see a
    command line; $KIOSK_HUB is this user's alone)."""
    from kiosk.hub import HubError
    from kiosk.hub.connection import parse_dsn

    if not value:
        raise click.UsageError("name the hub: --hub 'host=... dbname=... user=... sslrootcert=...' or $KIOSK_HUB")
    try:
        params = parse_dsn(value)
    except HubError as error:
        raise click.BadParameter(str(error)) from None
    if "password" in params and ctx.get_parameter_source(param.name or "") is ParameterSource.COMMANDLINE:
        raise click.BadParameter(
            f"the hub address holds a password, and a command line is visible to others; "
            f"remove it and set ${PASSWORD_ENV} (or use a libpq passfile), or give the whole "
            "address in $KIOSK_HUB"
        )
    return value


def hub_option(function):
    return click.option(
        "--hub",
        "dsn",
        envvar="KIOSK_HUB",
        callback=hub_dsn,
        metavar="DSN",
        help="The hub's libpq connection string, without a password ($KIOSK_HUB).",
    )(function)


def password() -> str | None:
    return os.environ.get(PASSWORD_ENV) or None


@cli.group(cls=HubGroup)
def hub() -> None:
    """The PostgreSQL hub that kiosks share: set it up, add and revoke devices, check it."""


@hub.command("init")
@hub_option
def hub_init(dsn: str) -> None:
    """Create the hub in the database DSN names, or bring it up to date."""
    from kiosk.hub import init_hub

    applied = init_hub(dsn, password())
    click.echo(f"Hub ready: applied {', '.join(applied)}." if applied else "Hub already up to date.")


@hub.group("device")
def hub_device() -> None:
    """Devices: one login per kiosk (or office machine), revocable."""


@hub_device.command("add")
@click.argument("name")
@click.option("--office", is_flag=True, help="A read-only device (the production office): it pulls, never pushes.")
@hub_option
@json_option
def hub_device_add(name: str, office: bool, dsn: str, as_json: bool) -> None:
    """Add device NAME; prints its own connection string (with its new password: shown this once)."""
    from kiosk.hub import add_device, role_name

    device_dsn = add_device(dsn, name, "office" if office else "kiosk", password())
    if as_json:
        emit_json({"device": name, "role": role_name(name), "kind": "office" if office else "kiosk", "dsn": device_dsn})
        return
    click.echo(device_dsn)
    click.echo(
        f"Device {name} added. Its connection string above holds its password, shown this once: "
        "give it to that machine only.",
        err=True,
    )


@hub_device.command("revoke")
@click.argument("name")
@hub_option
def hub_device_revoke(name: str, dsn: str) -> None:
    """Revoke device NAME for good (its events stay at the hub)."""
    from kiosk.hub import revoke_device

    ended = revoke_device(dsn, name, password())
    click.echo(f"Device {name} revoked" + (f"; {ended} open session(s) ended." if ended else "."))


@hub.command("status")
@hub_option
@json_option
def hub_status(dsn: str, as_json: bool) -> None:
    """Devices, when each was last seen, its last seq, events held and clock skew."""
    from kiosk.hub import status

    shown = status(dsn, password())
    if as_json:
        emit_json(asdict(shown))
        return
    click.echo(
        f"Hub schema version {shown.schema_version}: {shown.events} event(s), {shown.blobs} sealed blob(s) and "
        f"{shown.photos} photo(s) held, {shown.erased} erased."
    )
    table(
        [
            {
                "device": device.name,
                "kind": device.kind,
                "state": "revoked" if device.revoked_at else "active",
                "last seen": f"{device.last_seen:%Y-%m-%d %H:%M:%S}" if device.last_seen else None,
                "last seq": device.last_seq,
                "events": device.events,
                "skew (s)": None
                if device.clock_skew_seconds is None
                else f"{device.clock_skew_seconds:+.1f}" + (" TOO FAR" if device.clock_flagged else ""),
                "anomalies": device.anomalies,
            }
            for device in shown.devices
        ],
        ["device", "kind", "state", "last seen", "last seq", "events", "skew (s)", "anomalies"],
    )


@hub.command("verify")
@hub_option
@json_option
def hub_verify(dsn: str, as_json: bool) -> None:
    """Walk every device's chain at the hub; report the first break of each (exit 1 when any)."""
    from kiosk.hub import verify

    checked = verify(dsn, password())
    if as_json:
        emit_json({**asdict(checked), "ok": checked.ok})
    elif checked.ok:
        click.echo(
            f"Every chain holds: {checked.devices} device(s), {checked.events} event(s), "
            f"{checked.blobs} sealed blob(s), {checked.photos} photo(s)."
        )
    else:
        for broken in checked.breaks:
            click.echo(f"BROKEN: device {broken.device} at event {broken.seq}: {broken.problem}")
        for digest in checked.bad_blobs:
            click.echo(f"BROKEN: sealed blob {digest} no longer matches its digest")
        for digest in checked.bad_photos:
            click.echo(f"BROKEN: photo {digest} no longer matches its digest")
    if not checked.ok:
        sys.exit(EXIT_REFUSED)
