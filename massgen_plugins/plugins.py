"""Plugin discovery and loading: entry points in the group `massgen`, the switches, isolation."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import pluggy

from massgen_plugins import hookspecs
from massgen_plugins.entry_points import installed_entry_points, normalize

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
         warn: Callable[[str, str], None], timeout: float | None = None) -> None:
    """Import and register each enabled plugin, in order; block the disabled ones unimported.

    Each import runs on a daemon thread with `timeout` seconds to finish (see deadline): one
    that hangs, raises or even calls sys.exit is one warning, and the others load.
    """
    from massgen_plugins.deadline import call_with_deadline, seconds

    for record in records:
        if not record.enabled:
            pm.set_blocked(record.name)
            continue
        outcome = call_with_deadline(functools.partial(load_object, record.value), timeout,
                                     f"massgen-plugins {record.name}: import", plugin=record.name,
                                     report=warn)
        if outcome.timed_out:
            warn(record.name, f"import of {record.value} did not finish within "
                              f"{seconds(timeout or 0)}; going on without it")
            continue
        if not outcome.ok:
            err = outcome.error
            warn(record.name, f"failed to import {record.value}: {type(err).__name__}: {err}")
            continue
        obj = outcome.value
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
            elif _wrapping(caller, record.name):
                # The host calls each plugin on its own, with its own context and deadline, so
                # there is no inner call for a wrapper to surround.
                warn(record.name, f"implements hook '{caller.name}' as a pluggy wrapper "
                                  "(wrapper=True or hookwrapper=True), which massgen-plugins "
                                  "does not run; implement it as a plain hook")


def _wrapping(caller: Any, name: str) -> bool:
    """Whether plugin `name` implements this hook as a wrapper."""
    return any(i.plugin_name == name and (i.hookwrapper or i.wrapper)
               for i in caller.get_hookimpls())


def hooks_of(pm: pluggy.PluginManager, record: PluginRecord) -> list[str]:
    """The names of the known hooks a loaded plugin implements."""
    if not record.loaded:
        return []
    return sorted(c.name for c in pm.get_hookcallers(record.plugin) or []
                  if c.has_spec() and not _wrapping(c, record.name))
