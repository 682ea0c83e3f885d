"""Plugin discovery and loading: entry points in the group `massgen`, the switches, isolation."""

from __future__ import annotations

import os
import sys
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


def installed_entry_points(group: str = GROUP) -> list[tuple[str, str, str, str]]:
    """(name, value, distribution, version) of each entry point in `group`, in sys.path order.

    A direct read of the `*.dist-info/entry_points.txt` files on sys.path, which is what
    importlib.metadata does too, at a quarter of its cost: importing it (and the email parser
    it reads METADATA with) was most of `massgen-plugins --help`. A distribution seen twice (an
    editable install on two path entries) counts once, the first, as importlib.metadata has it.
    """
    found: list[tuple[str, str, str, str]] = []
    seen: set[str] = set()
    for entry in sys.path:
        folder = entry or os.curdir
        try:
            names = sorted(n for n in os.listdir(folder) if n.endswith(".dist-info"))
        except OSError:
            continue
        for name in names:
            info = os.path.join(folder, name)
            dist, version = _name_and_version(info, name)
            key = normalize(dist)
            if key in seen:
                continue
            seen.add(key)
            for ep_name, value in _group_of(os.path.join(info, "entry_points.txt"), group):
                found.append((ep_name, value, dist, version))
    return found


def _name_and_version(info: str, folder: str) -> tuple[str, str]:
    """A distribution's Name and Version from its METADATA header, else its folder's name."""
    name, _, version = folder[: -len(".dist-info")].partition("-")
    try:
        with open(os.path.join(info, "METADATA"), encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if not line.strip():
                    break  # the header ends at the first blank line
                key, _, value = line.partition(":")
                if key == "Name":
                    name = value.strip()
                elif key == "Version":
                    version = value.strip()
    except OSError:
        pass
    return name, version or "?"


def _group_of(path: str, group: str) -> list[tuple[str, str]]:
    """The `name = value` lines of one section of an entry_points.txt (an INI file)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return []
    out, inside = [], False
    for line in lines:
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            inside = line[1:-1].strip() == group
        elif inside and "=" in line and not line.startswith(("#", ";")):
            name, _, value = line.partition("=")
            out.append((name.strip(), value.strip()))
    return out


def discover() -> tuple[list[PluginRecord], list[str]]:
    """Every entry point in the group, sorted by name, once each; and the conflicts seen."""
    records: dict[str, PluginRecord] = {}
    conflicts: list[str] = []
    for name, value, dist_name, version in installed_entry_points():
        seen = records.get(name)
        if seen is not None:
            if seen.value != value or seen.distribution != dist_name:
                conflicts.append(f"plugin name '{name}' is claimed by {seen.distribution} and "
                                 f"{dist_name}; using {seen.distribution}")
            continue
        records[name] = PluginRecord(name, dist_name, version, value)
    return [records[k] for k in sorted(records)], conflicts


def load_object(value: str) -> Any:
    """What an entry point names: `module` or `module:attribute.path` (extras ignored)."""
    import importlib

    module, _, attribute = value.split("[", 1)[0].strip().partition(":")
    obj = importlib.import_module(module.strip())
    for part in filter(None, attribute.strip().split(".")):
        obj = getattr(obj, part)
    return obj


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
    for record in records:
        if not record.enabled:
            pm.set_blocked(record.name)
            continue
        try:
            obj = load_object(record.value)
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
