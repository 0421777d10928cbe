"""Production, roster and badge commands."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kiosk.cli import (
    EXIT_REFUSED,
    EXIT_USAGE,
    cli,
    emit_json,
    json_option,
    pass_context,
    secret_input,
    table,
    warn_undrawable,
)
from kiosk.core.roster import RosterOptionError, RosterSource, parse_column_map
from kiosk.services import access, production, roster
from kiosk.services import badges as badge_service


@cli.command()
@click.option("--production", "name", required=True, help="The production's name, as printed on badges.")
@click.option(
    "--duplicate-window",
    type=float,
    default=5.0,
    show_default=True,
    help="Seconds (0 to 60) within which a second read of the same badge is the same scan.",
)
@click.option(
    "--checklist-gate",
    "gate",
    type=click.Choice(["on", "off"]),
    default="on",
    show_default=True,
    help="on: no set opens while a required checklist item is open (the supervisor may override, with a "
    "reason). off: advisory, a set opens and the record names what was outstanding.",
)
@pass_context
def init(ctx, name: str, duplicate_window: float, gate: str) -> None:
    """Create the production in the database (refuses to overwrite one)."""
    production.check_settings(name, duplicate_window)  # refused: exit 2, and no file is made
    production.init_production(
        ctx.db(create=True), name, ctx.kiosk_id, duplicate_window, checklist_required=gate == "on"
    )
    click.echo(f"Production {name!r} created in {ctx.db_path}")


@cli.command()
@pass_context
def pin(ctx) -> None:
    """Set the supervisor PIN (6+ digits) that guards leaving the kiosk, setup and reports; changing it asks
    for the current one ($KIOSK_SUPERVISOR_PIN, $KIOSK_NEW_PIN, else hidden prompts)."""
    db = ctx.db()
    current = secret_input("Current supervisor PIN", "KIOSK_SUPERVISOR_PIN") if access.pin_is_set(db) else None
    try:
        access.set_pin(db, secret_input("New supervisor PIN", "KIOSK_NEW_PIN", confirm=True), ctx.kiosk_id, current)
    except access.PinRefused as error:
        click.echo(f"Refused: {error}", err=True)
        sys.exit(EXIT_REFUSED)
    click.echo("Supervisor PIN set.")


@cli.group()
def people() -> None:
    """The cast and crew list."""


def _column_map(ctx, param, pairs: tuple[str, ...]) -> dict[str, str]:
    try:
        return parse_column_map(pairs)
    except RosterOptionError as error:
        raise click.BadParameter(str(error)) from None


def _show_reading(result: roster.ImportResult, name: str) -> None:
    reading = result.reading
    if reading is None:
        return
    click.echo(f"{name}: {reading.format}" + (f", header on line {reading.header_line}" if reading.header_line else ""))
    for field_name, where in reading.columns.items():
        click.echo(f"  {field_name:<11} <- {where}")
    if reading.ignored:
        click.echo("  not read: " + ", ".join(repr(header) for header in reading.ignored))


@people.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="Show how the file is read and what would change; write nothing.")
@click.option("--sheet", help="The workbook's sheet to read (default: the first).")
@click.option("--encoding", help="The CSV's encoding when it is not UTF-8 or UTF-16 (cp1252 for Excel on Windows).")
@click.option(
    "--map",
    "columns",
    multiple=True,
    callback=_column_map,
    metavar='FIELD="COLUMN"',
    help="Read FIELD (ref, name, first-name, last-name, department, role, kind) from the column with "
    "this header; FIELD= from none. Repeatable.",
)
@click.option("--kind", type=click.Choice(["cast", "crew"]), help="The kind of everyone whose row has none.")
@json_option
@pass_context
def import_(ctx, file, dry_run: bool, sheet, encoding, columns, kind, as_json: bool) -> None:
    """Import FILE, a cast and crew list (.xlsx, or CSV with , ; or tab): all rows or none.

    The header names the columns: Name (or First name and Last name) and Kind (cast or crew), and may have
    Ref (ID), Department (Dept), Role (Position, Title, Job) and Photo (a path relative to FILE's folder: the
    photo is kept small for the door, never printed in a report); other columns are not read.
    """
    source = RosterSource(sheet=sheet, encoding=encoding, columns=columns, kind=kind)
    base = Path(file.name).resolve().parent if file.name and file.name != "<stdin>" else None
    result = roster.import_people(ctx.db(), file.read(), ctx.kiosk_id, dry_run=dry_run, source=source, base=base)
    if as_json:
        emit_json(result.as_dict())
    elif result.ok:
        if dry_run:
            _show_reading(result, file.name)
            for refs, change in ((result.added, "add"), (result.updated, "update")):
                if refs:
                    click.echo(f"Would {change} {len(refs)}:")
                    click.echo("".join(f"  {ref:<12} {result.names[ref]}\n" for ref in refs), nl=False)
        verb = "would be" if dry_run else "were"
        click.echo(
            f"{len(result.added)} {verb} added, {len(result.updated)} {verb} updated, "
            f"{len(result.unchanged)} unchanged."
        )
    if not result.ok:
        if not as_json:
            _show_reading(result, file.name)
        click.echo(f"Nothing was imported: {len(result.errors)} problem(s) in {file.name}:", err=True)
        for error in result.errors:
            click.echo(f"  {error}", err=True)
        sys.exit(EXIT_USAGE)


@people.command("add")
@click.option("--name", required=True)
@click.option("--kind", type=click.Choice(["cast", "crew"]), required=True)
@click.option("--department", default="")
@click.option("--role", default="")
@click.option("--ref", default="", help="Defaults to one made from the name.")
@json_option
@pass_context
def people_add(ctx, name, kind, department, role, ref, as_json) -> None:
    """Add one person (or update the one with this ref)."""
    person = roster.add_person(ctx.db(), ctx.kiosk_id, name, kind, department, role, ref)
    emit_json(person) if as_json else click.echo(f"{person.ref}: {person.name}")


@people.command("photo")
@click.argument("ref")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path), required=False)
@click.option("--remove", is_flag=True, help="Take the person's photo away (its bytes are erased for good).")
@click.option("--by", default="setup", help="Who sets or removes it (name), for the record.")
@pass_context
def people_photo(ctx, ref: str, file: Path | None, remove: bool, by: str) -> None:
    """Keep FILE as REF's photo for the door (stored downscaled, at most about 50 KB), or --remove it."""
    from kiosk.services import photos

    if remove:
        photos.remove_photo(ctx.db(), ref, by, ctx.kiosk_id)
        click.echo(f"{ref}: photo removed.")
        return
    if file is None:
        raise click.UsageError("Give the photo's FILE (or --remove).")
    with file.open("rb") as handle:
        data = handle.read(photos.MAX_FILE + 1)
    kept = photos.set_photo(ctx.db(), ref, data, by, ctx.kiosk_id, what=f"'{file.name}'")
    click.echo(f"{kept.person}: photo kept ({kept.width}x{kept.height}, {kept.size // 1000} KB).")


@people.command("list")
@json_option
@pass_context
def people_list(ctx, as_json: bool) -> None:
    """Everyone on the roster, with the date their badge was issued."""
    rows = roster.list_people(ctx.db())
    emit_json(rows) if as_json else table(rows, ["ref", "name", "department", "role", "kind", "badge_issued_at"])


@cli.group()
def badge() -> None:
    """QR badges: issue (and print), revoke."""


@badge.command("issue")
@click.argument("refs", nargs=-1)
@click.option("--all", "everyone", is_flag=True, help="Issue a badge to everyone on the roster.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for one PNG per person, named by ref.",
)
@click.option("--sheet", type=click.Path(dir_okay=False, path_type=Path), help="Also write a printable PDF sheet.")
@click.option(
    "--paper",
    type=click.Choice(["a4", "letter", "cr80"], case_sensitive=False),
    default="a4",
    show_default=True,
    help="For the sheet: a4 or letter, cards with cut marks; cr80, one card a page for a card printer.",
)
@json_option
@pass_context
def badge_issue(ctx, refs, everyone, out, sheet, paper, as_json) -> None:
    """Issue new badges to REFS (or --all); each person's previous badge stops working."""
    if bool(refs) == everyone:
        raise click.UsageError("Name people by ref, or give --all (not both).")
    cards, files = badge_service.issue(
        ctx.db(), None if everyone else list(refs), out, sheet, paper.lower(), ctx.kiosk_id
    )
    warn_undrawable(cards)
    if as_json:
        emit_json({"issued": [card.ref for card in cards], "files": [str(path) for path in files]})
    else:
        click.echo(f"{len(cards)} badge(s) issued to {out}" + (f", sheet {sheet}" if sheet else ""))


@badge.command("revoke")
@click.argument("ref")
@click.option("--reason", required=True, help="Why, for the record.")
@pass_context
def badge_revoke(ctx, ref: str, reason: str) -> None:
    """Revoke REF's badge: it is refused at every door from now on."""
    badge_service.revoke_badge(ctx.db(), ref, reason, ctx.kiosk_id)
    click.echo(f"Badge of {ref} revoked.")
