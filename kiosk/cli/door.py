"""The door from the command line: scan, who is inside, the log, the audit."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from kiosk.cli import (
    EXIT_REFUSED,
    cli,
    default_db_path,
    emit_json,
    json_option,
    pass_context,
    table,
    warn_undrawable,
)
from kiosk.core.text import department_and_role
from kiosk.files import owner_only
from kiosk.services import door, scene_log


def verdict_line(verdict: door.Verdict) -> str:
    doing = department_and_role(verdict.department, verdict.role)
    who = (f"{verdict.name} ({doing})" if doing else verdict.name) if verdict.name else "unknown badge"
    notes = [
        note
        for note, present in (
            ("same badge again - already recorded", verdict.duplicate),
            ("scan already recorded", verdict.replay),
            (f"scanner keyboard layout is wrong ({verdict.layout}) - code recognised", verdict.layout),
            ("first entry: confirm no phones, no photos", verdict.first_entry),
        )
        if present
    ]
    return f"{verdict.decision.upper():5}  {who} - {verdict.words}" + "".join(f"\n       {n}" for n in notes)


@cli.command()
@click.argument("scene")
@click.argument("code")
@click.option("--zone", type=click.Choice(["set", "monitors"]), default="set", show_default=True)
@click.option("--scan-id", help="A unique id for this scan; a scan sent again with the same id is stored once.")
@json_option
@pass_context
def scan(ctx, scene: str, code: str, zone: str, scan_id: str | None, as_json: bool) -> None:
    """Decide and record one scan of CODE at the door of SCENE (exit 0 admit/exit, 1 wait/deny)."""
    verdict = door.scan(ctx.db(), scene, code, zone, ctx.kiosk_id, scan_id)
    emit_json(verdict.as_dict()) if as_json else click.echo(verdict_line(verdict))
    if not verdict.passes:
        sys.exit(EXIT_REFUSED)


@cli.command()
@click.argument("scene", required=False)
@click.option("--all", "everyone", is_flag=True, help="Roll-call: everyone inside any closed set in force.")
@click.option("--pdf", type=click.Path(dir_okay=False), help="Also print the roll-call to this PDF file.")
@json_option
@pass_context
def inside(ctx, scene: str | None, everyone: bool, pdf: str | None, as_json: bool) -> None:
    """Who is inside SCENE now (or, with --all, inside every open scene)."""
    if bool(scene) == everyone:
        raise click.UsageError("Name a scene, or give --all for the roll-call.")
    if pdf:
        from kiosk.reports import render_rollcall
        from kiosk.services.reports import rollcall

        render_rollcall(rollcall(ctx.db(), scene), pdf)
        click.echo(f"Roll-call written to {pdf}.", err=True)
    rows = door.inside(ctx.db(), scene)
    emit_json(rows) if as_json else table(rows, ["scene", "ref", "name", "department", "zone", "since"])


@cli.command("log")
@click.argument("scene")
@json_option
@pass_context
def log_(ctx, scene: str, as_json: bool) -> None:
    """Every scan and change recorded for SCENE, oldest first, in local time (--json: ISO, UTC).

    Input that matched no badge is kept masked (its first characters and its length): the log never holds a
    code someone could type in.
    """
    rows = scene_log.scene_log(ctx.db(), scene)
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        row["at"] = datetime.fromisoformat(row["at"]).astimezone().isoformat(sep=" ", timespec="seconds")
    table(rows, ["id", "at", "kiosk", "kind", "zone", "decision", "what", "person_name", "raw"])


@cli.group()
def audit() -> None:
    """Checks on the record: the log's chains, and the tables against the log."""


@audit.command("verify")
@click.option("--anchor", help="ROW:HASH from an earlier check or report: proves no row up to it was rewritten.")
@json_option
@pass_context
def audit_verify(ctx, anchor: str | None, as_json: bool) -> None:
    """Check the log's chains, then every table against a rebuild from the log (exit 0 intact; 1 broken,
    naming the first broken row, or every table row that differs).

    Prints an anchor (the newest row and its hash): file it with the day's paperwork, and a later check
    with --anchor shows whether the log was rewritten since.  An anchor for a row past the end of the log
    means rows were removed since it was filed (exit 1); one that is not ROW:HASH, row 0 included, is bad
    input (exit 2).
    """
    from kiosk.core.audit import parse_anchor
    from kiosk.services import audit as service

    if anchor:
        try:
            parse_anchor(anchor)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--anchor") from None
    made = service.check(ctx.db(), anchor)
    result = made.log
    if as_json:
        emit_json(
            {
                "ok": made.ok,
                "rows": result.rows,
                "broken_id": result.broken_id,
                "problem": result.problem,
                "anchor": result.anchor,
                "differences": [str(found) for found in made.differences],
            }
        )
    else:
        click.echo(f"{result.words}.", err=not result.ok)
        if made.differences:
            click.echo(f"TABLES DIFFER FROM THE LOG: {len(made.differences)} row(s):", err=True)
            for found in made.differences:
                click.echo(f"  {found}", err=True)
    if not made.ok:
        sys.exit(EXIT_REFUSED)


@audit.command("rebuild")
@pass_context
def audit_rebuild(ctx) -> None:
    """Rewrite every table from the log, for recovery after tables were edited (supervisor PIN,
    $KIOSK_SUPERVISOR_PIN or a hidden prompt).  Refused when the log itself does not verify."""
    from kiosk.cli import secret_input
    from kiosk.services import audit as service
    from kiosk.services.access import PinRefused

    try:
        found = service.rebuild(ctx.db(), secret_input("Supervisor PIN", "KIOSK_SUPERVISOR_PIN"), ctx.kiosk_id)
    except (PinRefused, service.LogBroken) as error:
        click.echo(f"Refused: {error}", err=True)
        sys.exit(EXIT_REFUSED)
    click.echo(f"Tables rebuilt from the log ({found} row(s) differed before).")


def optional_hub(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--hub / $KIOSK_HUB for the door: none means no hub (the door on its own)."""
    from kiosk.cli.hub import hub_dsn

    return hub_dsn(ctx, param, value) if value else None


@cli.command()
@click.option("--scene", help="Open the door screen on this scene.")
@click.option(
    "--hub",
    "dsn",
    envvar="KIOSK_HUB",
    callback=optional_hub,
    metavar="DSN",
    help="Sync with this hub in the background: this kiosk's libpq connection string, without a password "
    "($KIOSK_HUB, which may hold one; else $KIOSK_HUB_PASSWORD or a libpq passfile).",
)
@click.option(
    "--backup-to",
    "backup_dir",
    envvar="KIOSK_BACKUP_DIR",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Back the kiosk file up into this folder (a USB stick) while the door runs ($KIOSK_BACKUP_DIR).",
)
@click.option(
    "--backup-every",
    envvar="KIOSK_BACKUP_EVERY",
    metavar="MINUTES",
    default=5.0,
    show_default=True,
    type=click.FloatRange(min=1),
    help="Minutes between automatic backups ($KIOSK_BACKUP_EVERY).",
)
@click.option(
    "--backup-keep",
    envvar="KIOSK_BACKUP_KEEP",
    default=12,
    show_default=True,
    type=click.IntRange(min=1),
    help="Backups kept in the folder, the oldest removed ($KIOSK_BACKUP_KEEP).",
)
@pass_context
def run(
    ctx, scene: str | None, dsn: str | None, backup_dir: Path | None, backup_every: float, backup_keep: int
) -> None:
    """Open the door screen (full-screen kiosk).

    With a hub (--hub or $KIOSK_HUB) the door syncs in the background and says how it stands on one line:
    "hub: synced 2 s ago", "hub: offline since 14:02 - 37 waiting" (this kiosk's scans not at the hub yet;
    the door decides alone meanwhile and they go when the hub is back), "hub: stopped - ..." when the hub
    refused this kiosk (revoked, a wrong password): call the supervisor.  No hub: no line.

    With --backup-to DIR (or $KIOSK_BACKUP_DIR) it also makes a checked copy of the kiosk file there every
    --backup-every minutes, keeping the newest --backup-keep; the line says "backup 14:05", or why the last
    one failed (a full or pulled stick never stops the door).  The folder is made 0700, each copy 0600.

    IC mode and the supervisor's screens close by themselves after $KIOSK_IDLE_LOCK seconds without a key
    (default 180).
    """
    from kiosk.cli.hub import password
    from kiosk.tui import run_kiosk
    from kiosk.tui.background import BackupSettings, HubSettings

    hub = HubSettings(dsn, password()) if dsn else None
    backups = BackupSettings(backup_dir, every=backup_every * 60, keep=backup_keep) if backup_dir else None
    run_kiosk(ctx.db(), ctx.kiosk_id, scene, hub=hub, backups=backups)


@cli.command()
@click.option(
    "--badges",
    "badge_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the demo badges (default: beside the demo database).",
)
@click.option("--no-run", is_flag=True, help="Only build the demo production; do not open the kiosk.")
@pass_context
def demo(ctx, badge_dir: Path | None, no_run: bool) -> None:
    """Build the demo production afresh (about 40 cast and crew, three closed scenes) and open the kiosk.

    Its database is the per-user demo.db unless --db names one; an existing file is replaced only when it
    holds the demo production.
    """
    from kiosk.services import badges
    from kiosk.services.demo import DEMO_PIN, build_demo, is_demo
    from kiosk.store import connect

    path = ctx.db_path if ctx.db_given else default_db_path().with_name("demo.db")
    badge_dir = badge_dir or path.parent / "demo-badges"
    if path.exists():
        existing = connect(path)
        demo_before = is_demo(existing)
        existing.close()
        if not demo_before:
            raise click.UsageError(
                f"{path} holds another production; the demo never replaces it. Give the demo its own --db."
            )
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    ctx.db_path = path
    db = ctx.db(create=True)
    build_demo(db, ctx.kiosk_id)
    cards, _ = badges.issue(db, None, badge_dir, badge_dir / "sheet.pdf", "a4", ctx.kiosk_id)
    warn_undrawable(cards)
    codes_file = badge_dir / "codes.txt"  # every working code: readable by its owner only, like the badges
    codes_file.unlink(missing_ok=True)
    with open(codes_file, "x", encoding="utf-8", opener=owner_only) as file:
        file.write("".join(f"{card.ref}\t{card.code}\t{card.name}\n" for card in cards))
    notice = (
        f"Demo database {path}. Badges and a printable sheet in {badge_dir} (codes.txt lists every code "
        f"to type with C). Supervisor PIN: {DEMO_PIN}."
    )
    click.echo(notice)
    if not no_run:
        from kiosk.tui import run_kiosk

        run_kiosk(db, ctx.kiosk_id, notice=notice)
