"""Closed scene commands: the approved lists and the set state."""

from __future__ import annotations

import click

from kiosk.cli import cli, emit_json, json_option, pass_context, table
from kiosk.core.door import SceneState
from kiosk.services import scenes as scene_service

ZONE_OPTION = click.Choice(scene_service.ZONE_CHOICES)


@cli.group()
def scene() -> None:
    """Closed scenes: approved lists per zone, open, rolling, hold, lift."""


@scene.command("add")
@click.argument("ref")
@click.option("--title", required=True)
@click.option("--location", default="")
@click.option("--date", default="", help="Shooting date, e.g. 2026-11-23.")
@click.option("--coordinator", help="The intimacy coordinator (ref or name); approved for both zones.")
@click.option("--performer", "performers", multiple=True, help="A performer (ref or name); repeat for each.")
@json_option
@pass_context
def scene_add(ctx, ref, title, location, date, coordinator, performers, as_json) -> None:
    """Create closed scene REF (in draft until opened)."""
    scene_service.add_scene(ctx.db(), ref, title, ctx.kiosk_id, location, date, coordinator, performers)
    shown = scene_service.show_scene(ctx.db(), ref)
    emit_json(shown) if as_json else click.echo(f"Scene {ref} added with {len(shown['approved'])} approval(s).")


@scene.command("list")
@json_option
@pass_context
def scene_list(ctx, as_json: bool) -> None:
    """All scenes with their state and approved head count."""
    rows = scene_service.list_scenes(ctx.db())
    emit_json(rows) if as_json else table(
        rows, ["ref", "title", "location", "date", "state", "coordinator", "approved"]
    )


@scene.command("show")
@click.argument("ref")
@json_option
@pass_context
def scene_show(ctx, ref: str, as_json: bool) -> None:
    """One scene: details, approved list per zone, who is inside."""
    shown = scene_service.show_scene(ctx.db(), ref)
    if as_json:
        emit_json(shown)
        return
    click.echo(f"Scene {shown['ref']}: {shown['title']}  [{shown['state'].upper()}]")
    click.echo(
        f"Location: {shown['location'] or '-'}   Date: {shown['date'] or '-'}   "
        f"Coordinator: {(shown['coordinator'] or {}).get('name', '-')}"
    )
    click.echo("\nApproved:")
    table(shown["approved"], ["ref", "name", "department", "role", "zone", "approved_by", "approved_at"])
    click.echo("\nInside now:")
    table(shown["inside"], ["ref", "name", "zone", "since"])


@scene.command("approve")
@click.argument("ref")
@click.argument("people", nargs=-1, required=True)
@click.option("--by", required=True, help="Who approves (name), for the record.")
@click.option("--zone", type=ZONE_OPTION, default="set", show_default=True)
@pass_context
def scene_approve(ctx, ref, people, by, zone) -> None:
    """Approve PEOPLE (refs or names) for scene REF."""
    approved = scene_service.approve(ctx.db(), ref, people, by, ctx.kiosk_id, zone)
    click.echo(f"Approved for {zone} on scene {ref}: " + ", ".join(person.name for person in approved))


@scene.command("unapprove")
@click.argument("ref")
@click.argument("people", nargs=-1, required=True)
@click.option("--by", required=True, help="Who removes the approval (name), for the record.")
@click.option("--zone", type=ZONE_OPTION, default="both", show_default=True)
@pass_context
def scene_unapprove(ctx, ref, people, by, zone) -> None:
    """Remove PEOPLE from the approved list of scene REF."""
    scene_service.unapprove(ctx.db(), ref, people, by, ctx.kiosk_id, zone)
    click.echo(f"Removed from {zone} on scene {ref}: " + ", ".join(people))


@scene.command("reopen")
@click.argument("ref")
@click.option("--by", required=True, help="Who reopens the closed set (name), for the record.")
@click.option("--reason", required=True, help="Why it is reopened, for the record.")
@pass_context
def scene_reopen(ctx, ref: str, by: str, reason: str) -> None:
    """Put the lifted closed set of scene REF back in force: a new run of the set.

    The last run's temporary approvals stay ended, and the next lift opens new check-ins.
    """
    shown = scene_service.reopen(ctx.db(), ref, by, reason, ctx.kiosk_id)
    click.echo(f"Scene {ref}: closed set in force again (OPEN), run {shown['run']}.")


@scene.command("close")
@click.argument("ref")
@json_option
@pass_context
def scene_close(ctx, ref: str, as_json: bool) -> None:
    """Lift the closed set: everyone still inside is marked out and listed."""
    from kiosk.services.lift import lift

    lifted = lift(ctx.db(), ref, ctx.kiosk_id)
    if as_json:
        emit_json(
            {
                "scene": ref,
                "swept": lifted.swept,
                "checkins_pending": lifted.pending,
                "checkins_offered": lifted.offered,
            }
        )
        return
    click.echo(f"Scene {ref}: closed set lifted." if not lifted.already else f"Scene {ref} was lifted already.")
    if lifted.swept:
        click.echo("Marked out (were still inside):")
        table(lifted.swept, ["ref", "name", "zone", "since"])
    click.echo(
        f"Check-ins pending (performers): {len(lifted.pending)}; offered (everyone else who was inside): "
        f"{len(lifted.offered)}. The IC records them, or closes an offered one as not needed."
    )


@scene.command("state")
@click.argument("ref")
@click.argument("state", type=click.Choice(["open", "rolling", "hold"]))
@pass_context
def scene_state(ctx, ref: str, state: str) -> None:
    """Set scene REF to open, rolling (red light) or hold."""
    scene_service.set_state(ctx.db(), ref, SceneState(state), ctx.kiosk_id)
    click.echo(f"Scene {ref}: {state.upper()}.")
