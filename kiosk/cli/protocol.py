"""The closed-set protocol from the command line: the checklist before a set opens, the riders, the IC, and the
performers' acknowledgement of the approved list.  Registered on ``kiosk scene`` (imported by ``scenes``)."""

from __future__ import annotations

import os

import click

from kiosk.cli import emit_json, json_option, pass_context, plain, secret_input, table
from kiosk.cli.scenes import scene
from kiosk.services import agreed_list, readiness
from kiosk.services import scene_ic as ic_service
from kiosk.services import scenes as scene_service
from kiosk.services.access import check_pin

PIN_ENV = "KIOSK_SUPERVISOR_PIN"


def _checklist_rows(shown: readiness.SceneChecklist) -> list[dict]:
    return [
        {
            "item": state.item.id,
            "words": state.item.words,
            "required": state.item.required,
            "automatic": state.item.automatic,
            "met": state.met,
            "detail": state.detail,
            "by": state.done.by if state.done else None,
            "at": state.done.at if state.done else None,
            "warnings": list(state.warnings),
        }
        for state in shown.readiness.items
    ]


def _echo_checklist(shown: readiness.SceneChecklist) -> None:
    click.echo(
        f"Scene {shown.scene} [{shown.state.upper()}]: "
        + ("ready to open." if not shown.outstanding else f"{len(shown.outstanding)} required item(s) open.")
    )
    for state in shown.readiness.items:
        mark = "[x]" if state.met else "[ ]"
        optional = "" if state.item.required else " (optional)"
        when = f" - {state.done.by}, {state.done.at[:16].replace('T', ' ')}" if state.done else ""
        click.echo(f"  {mark} {state.item.id}: {state.item.words}{optional}")
        click.echo(f"        {state.detail}{when}")
        for warning in state.warnings:
            click.echo(f"        WARNING: {warning}")


@scene.command("checklist")
@click.argument("ref")
@json_option
@pass_context
def scene_checklist(ctx, ref: str, as_json: bool) -> None:
    """The checklist of scene REF: each item, met or not, who confirmed it and when."""
    shown = readiness.checklist(ctx.db(), ref)
    if as_json:
        emit_json(
            {
                "scene": shown.scene,
                "state": shown.state,
                "ready": not shown.outstanding,
                "required": readiness.required(ctx.db()),
                "items": _checklist_rows(shown),
            }
        )
        return
    _echo_checklist(shown)


@scene.command("ready")
@click.argument("ref")
@click.argument("item")
@click.option("--by", required=True, help="Who confirms it (name), for the record.")
@click.option("--undo", is_flag=True, help="Take the confirmation back.")
@pass_context
def scene_ready(ctx, ref: str, item: str, by: str, undo: bool) -> None:
    """Confirm ITEM of scene REF's checklist (garments, signage, monitors, stills, or the production's own)."""
    _echo_checklist(readiness.confirm(ctx.db(), ref, item, by, ctx.kiosk_id, undo=undo))


@scene.command("rider")
@click.argument("ref")
@click.argument("performer")
@click.option("--agreed", default="", help="The day the rider was agreed, YYYY-MM-DD.")
@click.option("--by", required=True, help="Who records it (name).")
@click.option("--remove", is_flag=True, help="The rider is not on file after all.")
@pass_context
def scene_rider(ctx, ref: str, performer: str, agreed: str, by: str, remove: bool) -> None:
    """Record that PERFORMER's intimacy rider is on file, agreed on a date (never what it says)."""
    if not remove and not agreed:
        raise click.UsageError("Give the day the rider was agreed: --agreed YYYY-MM-DD.")
    _echo_checklist(readiness.record_rider(ctx.db(), ref, performer, agreed, by, ctx.kiosk_id, undo=remove))


@scene.command("ic")
@click.argument("ref")
@click.argument("person")
@click.option("--by", required=True, help="Who assigns the IC (name), for the record.")
@pass_context
def scene_ic(ctx, ref: str, person: str, by: str) -> None:
    """Assign PERSON as the intimacy coordinator of scene REF (approved for both zones)."""
    ic_service.assign_coordinator(ctx.db(), ref, person, by, ctx.kiosk_id)
    click.echo(f"Scene {ref}: IC assigned. They confirm they are here by scanning their own badge at the door.")


@scene.command("open")
@click.argument("ref")
@click.option(
    "--override",
    "override",
    metavar="REASON",
    help="Open with required items outstanding (needs the supervisor PIN, from KIOSK_SUPERVISOR_PIN or "
    "asked); the report prints the reason.",
)
@pass_context
def scene_open(ctx, ref: str, override: str | None) -> None:
    """Put the closed set in force for scene REF, once its checklist is met."""
    pin = secret_input("Supervisor PIN", PIN_ENV) if override is not None else None
    opened = scene_service.open_scene(ctx.db(), ref, ctx.kiosk_id, override=override, pin=pin)
    click.echo(f"Scene {opened['ref']}: closed set in force (OPEN).")
    shown = readiness.checklist(ctx.db(), ref)
    if shown.outstanding:
        click.echo(
            "Opened with items outstanding (the report says so): "
            + "; ".join(state.item.id for state in shown.outstanding)
        )


@scene.command("checklist-item")
@click.argument("item")
@click.option("--words", default="", help="What is to be ready, in a few words.")
@click.option("--optional", is_flag=True, help="Listed, but the set may open without it.")
@click.option("--remove", is_flag=True, help="Take the item off this production's checklist.")
@click.option("--by", required=True, help="Who changes the checklist (name).")
@pass_context
def checklist_item(ctx, item: str, words: str, optional: bool, remove: bool, by: str) -> None:
    """Add ITEM to this production's checklist, reword it, make it optional, or --remove it."""
    if remove:
        items = readiness.remove_item(ctx.db(), item, by, ctx.kiosk_id)
    else:
        items = readiness.set_item(ctx.db(), item, words, not optional, by, ctx.kiosk_id)
    table(
        [{"item": each.id, "words": each.words, "required": each.required} for each in items],
        ["item", "words", "required"],
    )


@scene.command("checklist-gate")
@click.argument("setting", type=click.Choice(["on", "off"]))
@pass_context
def checklist_gate(ctx, setting: str) -> None:
    """on: no set opens while a required item is open (without --override). off (needs the supervisor PIN): a
    set opens, and the record names what was outstanding."""
    if setting == "off":
        check_pin(ctx.db(), secret_input("Supervisor PIN", PIN_ENV), ctx.kiosk_id)
    readiness.set_required(ctx.db(), setting == "on", ctx.kiosk_id)
    click.echo(f"Checklist before opening: {'required' if setting == 'on' else 'advisory'}.")


@scene.command("acknowledge")
@click.argument("ref")
@click.argument("performer")
@click.option("--by", required=True, help="Who records it: the performer, or the IC for them (name).")
@json_option
@pass_context
def scene_acknowledge(ctx, ref: str, performer: str, by: str, as_json: bool) -> None:
    """PERFORMER has seen the approved list of scene REF as it stands now."""
    _echo_agreed(agreed_list.acknowledge(ctx.db(), ref, performer, by, ctx.kiosk_id), as_json)


@scene.command("told")
@click.argument("ref")
@click.argument("person")
@click.option("--by", required=True, help="The IC who told the performers (name or ref).")
@json_option
@pass_context
def scene_told(ctx, ref: str, person: str, by: str, as_json: bool) -> None:
    """The IC told the performers that PERSON (added after they saw the list) will be there, and they agreed."""
    _echo_agreed(agreed_list.told(ctx.db(), ref, person, by, ctx.kiosk_id), as_json)


@scene.command("object")
@click.argument("ref")
@click.argument("person")
@click.option("--by", required=True, help="Who records the objection (name). No reason is asked.")
@pass_context
def scene_object(ctx, ref: str, person: str, by: str) -> None:
    """A performer objects to PERSON: taken off the list of scene REF, and marked out if inside."""
    out = agreed_list.object_to(ctx.db(), ref, person, by, ctx.kiosk_id)
    click.echo(
        f"Scene {ref}: {person} is off the approved list." + (f" Marked out of: {', '.join(out)}." if out else "")
    )


@scene.command("agreed")
@click.argument("ref")
@json_option
@pass_context
def scene_agreed(ctx, ref: str, as_json: bool) -> None:
    """Who of the performers acknowledged the approved list, and who on it they are not yet told of."""
    _echo_agreed(agreed_list.agreed_list(ctx.db(), ref), as_json)


def _echo_agreed(shown: agreed_list.AgreedList, as_json: bool) -> None:
    if as_json:
        emit_json(plain(shown))
        return
    for ack in shown.performers:
        said = (
            (
                f"acknowledged {ack.at[:16].replace('T', ' ')}, recorded by {ack.by}"
                + (" for them" if ack.for_them else "")
            )
            if ack.at
            else "not yet acknowledged"
        )
        click.echo(f"  {ack.name}: {said}")
    click.echo(
        f"Performers not yet told: {len(shown.not_told)}"
        + (" - " + ", ".join(unseen.name for unseen in shown.not_told) if shown.not_told else "")
    )


BADGE_ENV = "KIOSK_BADGE_CODE"


@scene.command("no-ic")
@click.argument("ref")
@click.option("--withdraw", is_flag=True, help="Withdraw the choice: the set waits for an IC.")
@click.option("--confirmed", is_flag=True, help="The performer has read the words this command shows.")
@pass_context
def scene_no_ic(ctx, ref: str, withdraw: bool, confirmed: bool) -> None:
    """A performer's own choice to work on scene REF without an IC (or --withdraw it): their own badge code
    from KIOSK_BADGE_CODE or standard input, never the command line."""
    from kiosk.cli import read_stdin
    from kiosk.core.protocol import NO_IC_PROMISE
    from kiosk.services import no_ic

    code = os.environ.get(BADGE_ENV) or read_stdin("badge code").strip()
    performer = no_ic.identify(ctx.db(), ref, code)
    if not withdraw and not confirmed:
        click.echo(f"{performer.name}: {NO_IC_PROMISE}")
        raise click.UsageError("Nothing was recorded: when the performer has read this, run again with --confirmed.")
    choice = no_ic.choose(ctx.db(), ref, code, ctx.kiosk_id, withdraw=withdraw)
    if withdraw:
        click.echo(
            f"{performer.name}: your choice is withdrawn."
            + (" The set is ON HOLD until an IC is here." if choice.held else "")
        )
    else:
        click.echo(f"{performer.name}: your choice is recorded. You can withdraw it at any time, without a reason.")
        click.echo(
            "Scene runs without an IC: every performer chose it."
            if choice.without_ic
            else "The scene still needs an IC until every performer has made this choice."
        )
