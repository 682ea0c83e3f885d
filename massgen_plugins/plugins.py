"""Plugin discovery and loading: entry points in the group `massgen`, the switches, isolation."""

from __future__ import annotations

import importlib.metadata as md
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import pluggy

from massgen_plugins import hookspecs

GROUP = "massgen"
LOAD_ENV = "MASSGEN_LOAD_PLUGINS"
DISABLE_ENV = "MASSGEN_DISABLE_PLUGINS"


@attrs.define
class PluginRecord:
    """One discovered plugin: where it comes from, whether it is on, and what went wrong."""

    name: str
    distribution: str
    version: str
    value: str
    enabled: bool = True
    disabled_by: str | None = None
    plugin: Any = None
    errors: list[str] = attrs.Factory(list)

    @property
    def loaded(self) -> bool:
        """True once the module was imported and registered."""
        return self.plugin is not None


def normalize(name: str) -> str:
    """Plugin names compare case-blind, with `-` and `_` alike."""
    return name.strip().lower().replace("-", "_")


def discover() -> tuple[list[PluginRecord], list[str]]:
    """Every entry point in the group, sorted by name, once each; and the conflicts seen."""
    records: dict[str, PluginRecord] = {}
    conflicts: list[str] = []
    # entry_points() already folds an editable install seen twice on sys.path into one.
    for ep in md.entry_points(group=GROUP):
        dist = ep.dist
        dist_name = dist.metadata["Name"] if dist is not None else "?"
        version = dist.version if dist is not None else "?"
        seen = records.get(ep.name)
        if seen is not None:
            if seen.value != ep.value or seen.distribution != dist_name:
                conflicts.append(f"plugin name '{ep.name}' is claimed by {seen.distribution} and "
                                 f"{dist_name}; using {seen.distribution}")
            continue
        records[ep.name] = PluginRecord(ep.name, dist_name, version, ep.value)
    return [records[k] for k in sorted(records)], conflicts


def env_switches(names: list[str], environ: Mapping[str, str]) -> tuple[dict[str, tuple[bool, str]],
                                                                        list[str]]:
    """What MASSGEN_LOAD_PLUGINS and MASSGEN_DISABLE_PLUGINS say of each plugin, and unknown names.

    MASSGEN_LOAD_PLUGINS is the exact list to load (empty loads none), overriding config;
    MASSGEN_DISABLE_PLUGINS then switches off what it names, whatever else says.
    """
    switches: dict[str, tuple[bool, str]] = {}
    unknown: list[str] = []
    known = {normalize(n): n for n in names}
    for var, enable in ((LOAD_ENV, True), (DISABLE_ENV, False)):
        if var not in environ:
            continue
        listed = {normalize(p) for p in environ[var].split(",") if p.strip()}
        unknown += [f"{var} names '{p}', which is not installed" for p in sorted(listed - set(known))]
        for key, name in known.items():
            if enable:
                switches[name] = (key in listed, f"env {var}")
            elif key in listed:
                switches[name] = (False, f"env {var}")
    return switches, unknown


def new_manager() -> pluggy.PluginManager:
    """A plugin manager that knows MassGen's hook specs."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    return pm


def load(pm: pluggy.PluginManager, records: list[PluginRecord],
         warn: Callable[[str, str], None]) -> None:
    """Import and register each enabled plugin, in order; block the disabled ones unimported."""
    eps = {ep.name: ep for ep in md.entry_points(group=GROUP)}
    for record in records:
        if not record.enabled:
            pm.set_blocked(record.name)
            continue
        try:
            obj = eps[record.name].load()
        except BaseException as exc:  # a plugin's import may even call sys.exit
            if isinstance(exc, KeyboardInterrupt):
                raise
            warn(record.name, f"failed to import {record.value}: {type(exc).__name__}: {exc}")
            continue
        try:
            pm.register(obj, name=record.name)
        except Exception as exc:  # e.g. a hook asking for an argument the spec lacks
            warn(record.name, f"cannot register: {type(exc).__name__}: {exc}")
            continue
        record.plugin = obj
        for caller in pm.get_hookcallers(obj) or []:
            if not caller.has_spec():
                warn(record.name, f"implements unknown hook '{caller.name}' (misspelled?); "
                                  "it is never called")


def hooks_of(pm: pluggy.PluginManager, record: PluginRecord) -> list[str]:
    """The names of the known hooks a loaded plugin implements."""
    if not record.loaded:
        return []
    return sorted(c.name for c in pm.get_hookcallers(record.plugin) or [] if c.has_spec())
