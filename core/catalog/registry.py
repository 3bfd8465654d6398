"""registry.yaml: which skill variants this host serves, and the catalog it yields.

The file is validated against the loaded plugins: an unknown skill or a bad
field is an error that names the file and, where it can, the line.
"""

from __future__ import annotations

import functools
import os
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from nemo_skills.catalog import plugins
from nemo_skills.catalog.skill import Skill
from nemo_skills.errors import RegistryError, UnknownSkillError

ENV_REGISTRY = "NEMO_SKILLS_REGISTRY"
DEFAULT_PRIORITY = 100


class SkillEntry(BaseModel):
    """One skill's line in the registry."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    priority: int = DEFAULT_PRIORITY
    overrides: dict[str, Any] = Field(default_factory=dict)


REGISTRY_VERSION = 1


class RegistryFile(BaseModel):
    """The whole registry.yaml document."""

    model_config = ConfigDict(extra="forbid")

    version: int = 1
    include_unlisted: bool = True
    skills: dict[str, SkillEntry] = Field(default_factory=dict)

    @field_validator("version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        if value != REGISTRY_VERSION:
            raise ValueError(
                f"version {value} is not supported (this nemo-skills reads version {REGISTRY_VERSION})"
            )
        return value


@functools.cache  # importlib.resources costs more than a whole routing decision
def default_registry_path() -> Path:
    """The registry shipped with the package (the repository's registry.yaml)."""
    return Path(str(resources.files("nemo_skills").joinpath("registry.yaml")))


def resolve_registry_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The registry to use: an explicit path, else NEMO_SKILLS_REGISTRY, else the packaged one."""
    if path is not None:
        return Path(path)
    env = os.environ.get(ENV_REGISTRY)
    return Path(env) if env else default_registry_path()


def _line_of(node: yaml.Node | None, keys: tuple[str | int, ...]) -> int | None:
    """1-based line of the node at a key path in a composed YAML tree."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in keys:
        if not isinstance(node, yaml.MappingNode):
            break
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == str(key):
                line, node = k.start_mark.line + 1, v
                break
        else:
            break
    return line


def load_registry_file(path: Path) -> tuple[RegistryFile, yaml.Node | None]:
    """Parse and validate a registry file; errors name the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RegistryError(f"cannot read registry {path}: {exc.strerror or exc}") from exc
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise RegistryError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise RegistryError(f"{path}: the registry must be a mapping with a 'skills' key")
    try:
        return RegistryFile.model_validate(data), node
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        line = _line_of(node, loc)
        where = f"{path}:{line}" if line else str(path)
        field = ".".join(str(p) for p in loc) or "(top level)"
        raise RegistryError(f"{where}: {field}: {err['msg']}") from exc


class CatalogEntry(BaseModel):
    """A served skill: the plugin's declaration with the registry's overrides applied."""

    skill: Skill
    priority: int
    plugin: str


class Catalog:
    """The skills this host serves, in routing priority order."""

    def __init__(self, entries: list[CatalogEntry], source: Path) -> None:
        self.entries = sorted(entries, key=lambda e: (e.priority, e.skill.name))
        self.source = source
        self._by_name = {e.skill.name: e for e in self.entries}
        # Handed to every route_input hook call; hooks only read it.
        self.skill_map: dict[str, Skill] = self.by_name()

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.skills())

    def __len__(self) -> int:
        return len(self.entries)

    def skills(self) -> list[Skill]:
        """Served skills, highest priority first."""
        return [e.skill for e in self.entries]

    def by_name(self) -> dict[str, Skill]:
        """Served skills keyed by name."""
        return {e.skill.name: e.skill for e in self.entries}

    def get(self, name: str) -> Skill:
        """The served skill with this name; UnknownSkillError lists the others."""
        entry = self._by_name.get(name)
        if entry is None:
            entry = self._by_name.get(name.strip().lower().replace("_", "-").replace(" ", "-"))
        if entry is None:
            known = ", ".join(self._by_name) or "none"
            raise UnknownSkillError(f"unknown skill {name!r}; served skills: {known}")
        return entry.skill

    def priority(self, name: str) -> int:
        """Routing priority of a served skill (lower wins ties)."""
        return self._by_name[name].priority

    def plugin_of(self, name: str) -> str:
        """Name of the plugin that registered a skill."""
        return self._by_name[name].plugin


def collect_skills() -> dict[str, tuple[Skill, str]]:
    """Every skill the loaded plugins register, with the registering plugin's name."""
    pm = plugins.load_plugins()
    found: dict[str, tuple[Skill, str]] = {}
    for impl in pm.hook.register_skills.get_hookimpls():
        plugin_name = impl.plugin_name

        def register(skill: Skill, _plugin: str = plugin_name) -> None:
            if not isinstance(skill, Skill):
                raise RegistryError(f"plugin {_plugin!r} registered {skill!r}, which is not a Skill")
            if skill.name in found and found[skill.name][1] != _plugin:
                raise RegistryError(
                    f"skill {skill.name!r} is registered by both {found[skill.name][1]!r} and {_plugin!r}"
                )
            found[skill.name] = (skill, _plugin)

        try:
            impl.function(register=register)
        except RegistryError:
            raise
        except Exception as exc:
            raise RegistryError(
                f"plugin {plugin_name!r} failed to register its skills: {type(exc).__name__}: {exc}"
            ) from exc
    return found


def build_catalog(path: str | os.PathLike[str] | None = None) -> Catalog:
    """Validate the registry against the loaded plugins and build the catalog."""
    source = resolve_registry_path(path)
    reg, node = load_registry_file(source)
    registered = collect_skills()
    # With NEMO_SKILLS_PLUGINS set, entries for skills of plugins left out on purpose are not errors.
    narrowed = plugins.narrowed()
    for name in reg.skills:
        if name not in registered and not narrowed:
            line = _line_of(node, ("skills", name))
            where = f"{source}:{line}" if line else str(source)
            known = ", ".join(sorted(registered)) or "none"
            raise RegistryError(f"{where}: unknown skill {name!r}; plugins register: {known}")
    entries: list[CatalogEntry] = []
    for name, (skill, plugin_name) in registered.items():
        entry = reg.skills.get(name)
        if entry is None:
            if not reg.include_unlisted:
                continue
            entry = SkillEntry()
        if not entry.enabled:
            continue
        try:
            effective = skill.with_overrides(entry.overrides)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"])
            line = _line_of(node, ("skills", name, "overrides", *err["loc"]))
            where = f"{source}:{line}" if line else str(source)
            raise RegistryError(f"{where}: skills.{name}.overrides.{field}: {err['msg']}") from exc
        if effective.name != name:
            raise RegistryError(f"{source}: skills.{name}.overrides: a skill's name cannot be overridden")
        entries.append(CatalogEntry(skill=effective, priority=entry.priority, plugin=plugin_name))
    return Catalog(entries, source)


_cache: dict[tuple[int, str, int], Catalog] = {}


def get_catalog(path: str | os.PathLike[str] | None = None) -> Catalog:
    """The catalog for a registry path, cached until plugins, the environment or the file's mtime change."""
    plugins.load_plugins()
    # On every routed request: one stat of the file, no Path objects (build_catalog makes its own).
    where = os.fspath(path) if path is not None else os.environ.get(ENV_REGISTRY) or _default_registry_name()
    try:
        mtime = os.stat(where).st_mtime_ns
    except OSError:
        mtime = -1
    key = (plugins.generation(), where, mtime)
    found = _cache.get(key)
    if found is None:
        _cache.clear()
        found = _cache[key] = build_catalog(where)
    return found


@functools.cache
def _default_registry_name() -> str:
    return str(default_registry_path())
