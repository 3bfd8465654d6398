"""The plugin manager: built-in and third-party plugins, loaded lazily by entry point."""

from __future__ import annotations

import importlib
import logging
import os
from importlib import metadata
from types import ModuleType

import pluggy

from nemo_skills.catalog import hookspecs

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "nemo_skills"
ENV_ALLOWLIST = "NEMO_SKILLS_PLUGINS"

# Built-ins also register through the entry-point group; this tuple is the
# fallback for a source checkout that was never installed.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "nemo_skills.skills.nemo_video_gen",
    "nemo_skills.skills.generator_by_link",
    "nemo_skills.skills.ai_video_maker_sora",
    "nemo_skills.skills.free_generator_editor",
    "nemo_skills.skills.video_leonardo",
    "nemo_skills.skills.default_routing",
)

pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
pm.add_hookspecs(hookspecs)

_loaded = False
_generation = 0
# Plugins whose entry point could not be loaded, with the reason.
_failed: dict[str, str] = {}
_narrowed = False


def generation() -> int:
    """A counter that changes whenever the set of plugins changes (for caches)."""
    return _generation


def _allowlist() -> set[str] | None:
    raw = os.environ.get(ENV_ALLOWLIST)
    if raw is None:
        return None
    return {name.strip() for name in raw.split(",") if name.strip()}


def load_plugins() -> pluggy.PluginManager:
    """Load plugins once: entry points of the `nemo_skills` group, filtered by NEMO_SKILLS_PLUGINS."""
    global _loaded, _narrowed
    if _loaded:
        return pm
    _loaded = True
    allow = _allowlist()
    _narrowed = allow is not None
    seen: set[str] = set()
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in seen:
            continue
        seen.add(ep.name)
        if allow is not None and ep.name not in allow:
            continue
        if pm.get_plugin(ep.name) is not None:
            continue
        try:
            pm.register(ep.load(), name=ep.name)
        except Exception as exc:
            # One broken third-party package must not take every command down with it.
            if pm.get_plugin(ep.name) is not None:  # registered, then its hooks failed validation
                pm.unregister(name=ep.name)
            _failed[ep.name] = f"{type(exc).__name__}: {exc}"
            log.warning("plugin %r could not be loaded and is skipped (%s)", ep.name, _failed[ep.name])
    # A checkout run without installing has no entry points: fall back to the built-ins.
    for dotted in DEFAULT_PLUGINS:
        short = dotted.rsplit(".", 1)[1]
        if short in seen or (allow is not None and short not in allow):
            continue
        if pm.get_plugin(short) is None:
            pm.register(importlib.import_module(dotted), name=short)
    if allow:
        known = seen | {dotted.rsplit(".", 1)[1] for dotted in DEFAULT_PLUGINS}
        for name in sorted(allow - known):
            log.warning(
                "%s names %r, but no installed plugin has that name (installed: %s)",
                ENV_ALLOWLIST,
                name,
                ", ".join(sorted(known)),
            )
    _invalidate()
    return pm


def register_plugin(plugin: ModuleType | object, name: str | None = None) -> None:
    """Register a plugin object at run time (as a host or a test would)."""
    load_plugins()
    pm.register(plugin, name=name)
    _invalidate()


def unregister_plugin(name: str) -> None:
    """Remove a plugin registered at run time."""
    plugin = pm.get_plugin(name)
    if plugin is not None:
        pm.unregister(plugin)
    _invalidate()


def narrowed() -> bool:
    """Whether NEMO_SKILLS_PLUGINS limited the plugins that were loaded."""
    load_plugins()
    return _narrowed


def failed_plugins() -> dict[str, str]:
    """Plugins whose entry point failed to load, with the reason; they are skipped."""
    load_plugins()
    return dict(_failed)


def plugin_names() -> list[str]:
    """Names of the loaded plugins, in registration order."""
    load_plugins()
    return [name for name, _ in pm.list_name_plugin()]


def plugin_info() -> list[dict[str, str]]:
    """Name, module and distribution version of each loaded plugin."""
    load_plugins()
    dists = {
        ep.name: (ep.dist.name if ep.dist else "", ep.dist.version if ep.dist else "")
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)
    }
    rows = []
    for name, plugin in pm.list_name_plugin():
        module = getattr(plugin, "__name__", type(plugin).__name__)
        dist, version = dists.get(name, ("", ""))
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        rows.append(
            {"name": name, "module": module, "package": dist, "version": version, "hooks": ",".join(hooks)}
        )
    return rows


def _invalidate() -> None:
    global _generation
    _generation += 1
