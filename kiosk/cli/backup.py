"""One laptop, no hub: `kiosk backup` (a checked copy of the kiosk file) and `kiosk restore` (put one back).

Exit codes: 0 done; 1 the copy or the backup did not pass its checks (nothing was put in place); 2 bad input;
3 a file could not be read or written.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kiosk.cli import EXIT_REFUSED, cli, emit_json, json_option, pass_context


@cli.command()
@click.argument("dest", required=False, type=click.Path(path_type=Path))
@click.option(
    "--folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Instead of DEST: a copy named after the kiosk file and the time in this folder (a USB stick), "
    "keeping the newest --keep.",
)
@click.option(
    "--keep",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="With --folder: how many backups to keep there.",
)
@json_option
@pass_context
def backup(ctx, dest: Path | None, folder: Path | None, keep: int, as_json: bool) -> None:
    """Copy the kiosk file to DEST while the door runs, checked (integrity and the whole audit) before it
    counts; readable by its owner only; DEST is never left half-written."""
    from kiosk.services import backup as service

    if (dest is None) == (folder is None):
        raise click.UsageError("Give DEST (a file) or --folder DIR, not both.")
    try:
        if folder is not None:
            made = service.backup_to_folder(ctx.db(), folder, ctx.kiosk_id, keep)
        else:
            assert dest is not None  # one of the two, checked above
            made = service.backup(ctx.db(), dest)
    except service.BackupFailed as failed:
        click.echo(f"Error: {failed}", err=True)
        sys.exit(EXIT_REFUSED)
    if as_json:
        emit_json(made)
        return
    click.echo(
        f"Backup written to {made.path} ({made.size / 1e6:.1f} MB, {made.rows} events; integrity and "
        f"audit checked; anchor {made.anchor})."
    )


@cli.command()
@click.argument("source", type=click.Path(path_type=Path))
@json_option
@pass_context
def restore(ctx, source: Path, as_json: bool) -> None:
    """Put the backup SOURCE in place of this kiosk's file (--db), once it passes the integrity check and the
    audit; the current file is kept aside beside it.  Close the kiosk on this file first."""
    from kiosk.services import backup as service

    try:
        restored = service.restore(ctx.db_path, source, ctx.kiosk_id)
    except service.BackupFailed as failed:
        click.echo(f"Error: {failed}", err=True)
        sys.exit(EXIT_REFUSED)
    if as_json:
        emit_json(restored)
        return
    click.echo(
        f"Restored {restored.production!r} from {source} to {restored.path} ({restored.rows} events; "
        f"anchor {restored.anchor})."
    )
    if restored.aside:
        click.echo(f"The file it replaced is kept as {restored.aside}.")
    if restored.synced_before:
        click.echo(
            "This kiosk syncs with a hub: run `kiosk sync` before the door scans again, so that it takes "
            "back from the hub what it recorded after this backup.",
            err=True,
        )
