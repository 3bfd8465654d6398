"""`list`, `show` and `plugins`: what this host serves."""

from __future__ import annotations

import click

from nemo_skills.catalog.skill import Skill
from nemo_skills.cli.output import catalog_for, print_json


def skill_row(skill: Skill, priority: int, plugin: str) -> dict[str, object]:
    """The JSON form of a skill in `list --json`."""
    return {
        "name": skill.name,
        "version": skill.version,
        "title": skill.title,
        "tagline": skill.tagline,
        "max_upload_mb": skill.max_upload_mb,
        "inputs": [k.value for k in skill.inputs],
        "recommended_formats": list(skill.recommended_formats),
        "typical_turnaround": skill.typical_turnaround,
        "priority": priority,
        "plugin": plugin,
    }


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
@click.pass_context
def list_cmd(ctx: click.Context, as_json: bool) -> None:
    """List the skills this host serves, with their limits and inputs."""
    catalog = catalog_for(ctx)
    rows = [skill_row(e.skill, e.priority, e.plugin) for e in catalog.entries]
    if as_json:
        print_json(rows)
        return
    headers = ("SKILL", "VERSION", "MAX UPLOAD", "TIME", "INPUTS")
    table = [headers] + [
        (
            e.skill.name,
            e.skill.version,
            f"{e.skill.max_upload_mb} MB",
            e.skill.typical_turnaround,
            ", ".join(k.value for k in e.skill.inputs),
        )
        for e in catalog.entries
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(headers) - 1)]
    for row in table:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[-1])


@click.command("show")
@click.argument("skill")
@click.option("--json", "as_json", is_flag=True, help="Print the skill's full declaration as JSON.")
@click.pass_context
def show_cmd(ctx: click.Context, skill: str, as_json: bool) -> None:
    """Show everything a skill declares: limits, formats, examples, tips, template."""
    catalog = catalog_for(ctx)
    s = catalog.get(skill)
    if as_json:
        data = s.model_dump(mode="json")
        data["priority"] = catalog.priority(s.name)
        data["plugin"] = catalog.plugin_of(s.name)
        print_json(data)
        return
    lines = [
        f"{s.emoji} {s.title} — {s.tagline}",
        f"name (X-Skill-Source): {s.name}",
        f"version: {s.version}" + (f"   license: {s.license}" if s.license else ""),
        f"accepts: {', '.join(k.value for k in s.inputs)} ({s.input_noun})",
        f"max upload: {s.max_upload_mb} MB   recommended: {', '.join(s.recommended_formats)}",
        f"typical turnaround: {s.typical_turnaround}",
        f"session language: {s.language_mode.value}"
        + (f" ({s.language})" if s.language_mode.value != "omit" else ""),
        f"priority: {catalog.priority(s.name)}   plugin: {catalog.plugin_of(s.name)}",
        "",
        s.description,
        "",
        "Try saying:",
        *[f'  - "{ex}"' for ex in s.examples],
        "",
        "Tips:",
        *[f"  - {tip}" for tip in (*s.tips, s.export_tip)],
    ]
    click.echo("\n".join(lines))


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def plugins_cmd(as_json: bool) -> None:
    """List the loaded plugins and the hooks each implements."""
    from nemo_skills.catalog import plugins

    rows = plugins.plugin_info()
    failed = plugins.failed_plugins()
    if as_json:
        print_json([*rows, *({"name": name, "error": why} for name, why in failed.items())])
        return
    for row in rows:
        where = f"{row['package']} {row['version']}".strip() or "registered at run time"
        click.echo(f"{row['name']:<24} {row['module']:<44} {where}  hooks: {row['hooks']}")
    for name, why in failed.items():
        click.echo(f"{name:<24} not loaded: {why}")
