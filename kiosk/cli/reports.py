"""Closed-set reports for the production office: `kiosk report SCENE|--date DAY --format pdf|csv|json --out FILE`."""

from __future__ import annotations

from pathlib import Path

import click

from kiosk.cli import cli, pass_context
from kiosk.reports import FORMATS, PAPERS

TZ_HELP = "Time zone for the times and the day's bounds, e.g. Europe/London (default: this machine's)."


@cli.command()
@click.argument("scene", required=False)
@click.option("--date", "day", metavar="YYYY-MM-DD", help="Every scene with door activity that local day.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Default: from the suffix of --out.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="File to write.")
@click.option("--paper", type=click.Choice(PAPERS), default="a4", show_default=True, help="PDF page size.")
@click.option("--bom", is_flag=True, help="CSV: begin with a byte-order mark, so Excel reads names right.")
@click.option("--tz", "tz_name", envvar="KIOSK_TZ", help=TZ_HELP)
@pass_context
def report(
    ctx, scene: str | None, day: str | None, fmt: str | None, out: Path, paper: str, bom: bool, tz_name: str | None
) -> None:
    """Write the record of closed SCENE (or of a whole day) to a file: door records only, no wellbeing content."""
    from kiosk.reports import render
    from kiosk.services import reports

    if bool(scene) == bool(day):
        raise click.UsageError("Name a scene, or give --date YYYY-MM-DD for a whole day.")
    fmt = fmt or out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise click.UsageError("Give --format pdf, csv or json (or an --out file ending in one of those).")
    tz = reports.timezone_named(tz_name)
    if scene:
        made = reports.scene_report(ctx.db(), scene, tz)
    else:
        assert day is not None  # one of the two, checked above
        made = reports.day_report(ctx.db(), day, tz)
    render(made, out, fmt, paper=paper, bom=bom)
    click.echo(f"Wrote {out}: {made.title}, {len(made.scenes)} scene(s), {fmt.upper()}.")
