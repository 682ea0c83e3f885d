"""Config: the YAML files, their precedence, where each value came from, and validation.

Our own files (`$XDG_CONFIG_HOME/massgen-plugins/config.yaml`, `.massgen-plugins/config.yaml`)
are read together with MassGen's (`~/.config/massgen/config.yaml`, `.massgen/config.yaml`),
which MassGen reads as its default run config. So MassGen's files are shared, never claimed:
the top-level keys in `CORE_SCHEMA` are ours and strictly validated; every other key is
MassGen's and left alone, except that a near miss of one of ours (`plugin:`) gets a one-line
warning. A file of MassGen's that holds nothing but our keys breaks `massgen "question"` (an
older `plugins disable` wrote one): that is one warning, and `config migrate` moves it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from massgen_plugins.errors import ConfigError
from massgen_plugins.paths import (
    massgen_project_config_path,
    massgen_user_config_path,
    project_config_path,
    user_config_path,
)
from massgen_plugins.values import Setting

# The core's own schema: sections are dicts, leaves are Settings. Later features add their
# sections here. `plugins` is special: each plugin declares its own part (see hookspecs).
PLUGINS = "plugins"
MODEL_CATALOG = "model_catalog"
LEGACY_MODELS = "models"
CORE_SCHEMA: dict[str, Any] = {
    PLUGINS: {},
    # Keys and endpoints per provider; the SDKs' own env vars (OPENAI_API_KEY, ...) win.
    "providers": {name: {"api_key": Setting(str, help="API key (env var wins)"),
                         "base_url": Setting(str, help="an OpenAI-compatible or proxy URL")}
                  for name in ("openai", "anthropic", "google")},
    # Per-model facts that override the catalog: {"provider/model": {context_window: N,
    # max_output_tokens: N}}. Not `models`: MassGen refuses a run config with a top-level
    # `models` key (its old V1 format).
    MODEL_CATALOG: Setting(dict, item_type=dict, help="catalog overrides by provider/model"),
    # When an agent's context is compacted before a request, rather than after the API
    # refused it (docs/compaction.md). Shares of the model's window.
    "compression": {
        "proactive": Setting(bool, default=True,
                             help="compact before a request past trigger_ratio of the window"),
        "trigger_ratio": Setting(float, default=0.8,
                                 help="compact before a request above this share of the window"),
        "target_ratio": Setting(float, default=0.5,
                                help="a proactive compaction must end below this share"),
        # The retired chat's: accepted, with one warning (RETIRED).
        "max_consecutive": Setting(int, help="no longer used"),
        "keep_ratio": Setting(float, help="no longer used"),
    },
    # Event type -> streaming | state | critical, over the defaults in events/classes.py.
    "tui": {"event_classes": Setting(dict, item_type=str, help="event type to class",
                                     choices=("streaming", "state", "critical"))},
    # Seconds one call into a plugin may take, per hook (and `import`: loading a plugin's
    # module); past it MassGen's own path runs (defaults: host.DEFAULT_DEADLINES).
    "deadlines": {
        "wrap_event_sink": Setting(float, help="seconds a plugin may take to wrap the TUI's sink"),
        "event_sink": Setting(float, help="seconds one call into the TUI's sink chain may take"),
        "import": Setting(float, help="seconds a plugin's module may take to import"),
        **{hook: Setting(float, help=f"seconds one {hook} call may take")
           for hook in ("compress_context", "plugin_settings", "register_commands",
                        "compression_settings", "resolve_analysis_model", "doctor_notes")},
    },
}

# Keys that meant something only to the retired chat: a config that sets one still loads, and
# gets one warning saying so.
RETIRED = {
    ("compression", "max_consecutive"): "it capped the retired chat's compressions in a row; "
    "inside MassGen a proactive compaction is not tried again until a request goes out under "
    "the trigger",
    ("compression", "keep_ratio"): "it set how much of the retired chat's history was kept word "
    "for word; compaction and MassGen's summarization decide that",
}
ENABLED = "enabled"
# MassGen 0.1.97's top-level run-config keys (its validator and the configs it ships): never
# ours, and never reported as near misses of ours (`ui` is one letter from `tui`).
MASSGEN_KEYS = frozenset({
    "agents", "agent", "ui", "orchestrator", "timeout_settings", "memory", "hooks", "display",
    "nlip", "timeout", "task", "gemini", "models", "model_configs", "num_agents", "max_rounds",
    "consensus_threshold", "voting_enabled", "enable_voting",
})
_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
               list: "a list", dict: "a mapping"}
# A config is kilobytes; a larger file is not one, and parsing it would only cost time.
MAX_CONFIG_BYTES = 1024 * 1024
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


MASSGEN_USER, USER, MASSGEN_PROJECT, PROJECT, EXPLICIT = (
    "massgen-user", "user", "massgen-project", "project", "--config")
# Each file of MassGen's, and ours of the same level (where `config migrate` moves it).
OURS_FOR = {MASSGEN_USER: USER, MASSGEN_PROJECT: PROJECT}


@attrs.frozen
class ConfigFile:
    """One config file in the precedence chain, lowest first."""

    role: str
    path: Path
    exists: bool

    @property
    def massgens(self) -> bool:
        """Whether MassGen reads this file as its default run config."""
        return self.role in OURS_FOR


def config_files(explicit: str | os.PathLike[str] | None = None) -> list[ConfigFile]:
    """The config files in precedence order, lowest first, whether or not they exist.

    At each level ours outranks MassGen's, so a switch written into ours holds; a project
    outranks the user, and `--config` (or the run config of `massgen --config`) both.
    """
    chain = [(MASSGEN_USER, massgen_user_config_path()), (USER, user_config_path()),
             (MASSGEN_PROJECT, massgen_project_config_path()), (PROJECT, project_config_path())]
    files = [ConfigFile(role, p, p.is_file()) for role, p in chain]
    if explicit is not None:
        p = Path(explicit)
        if not p.is_file():
            raise ConfigError(f"{p}: config file not found; check the path given to --config")
        # MassGen loads the file it found by itself as a run config too: it keeps its place.
        if not any(f.exists and _same_file(f.path, p) for f in files):
            files.append(ConfigFile(EXPLICIT, p, True))
    return files


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # gone since it was seen
        return False


def round_trip_yaml() -> Any:
    """A ruamel YAML 1.2 loader/dumper that keeps comments, order and positions."""
    from ruamel.yaml import YAML

    return YAML(typ="rt")


def _line(node: Any, key: str) -> str:
    """':LINE' of `key` inside a round-trip mapping, when ruamel recorded it."""
    try:
        return f":{node.lc.key(key)[0] + 1}"
    except Exception:  # plain dicts and merged keys carry no position
        return ""


def read_yaml(path: Path) -> Any:
    """Parse one YAML file, turning any problem into a one-line ConfigError."""
    return parse_yaml(read_text(path), path)


def read_text(path: Path) -> str:
    """A config file's text, read without blocking and within MAX_CONFIG_BYTES, or ConfigError."""
    from massgen_plugins.regular_files import NotRegular, TooLarge, read_regular

    try:
        return read_regular(path, MAX_CONFIG_BYTES).decode("utf-8")
    except TooLarge as exc:
        raise ConfigError(f"{path}: config is {exc.size / 2**20:.1f} MB, larger than the "
                          f"{MAX_CONFIG_BYTES // 2**20} MB a config may be; is it the right "
                          "file?") from None
    except NotRegular as exc:
        raise ConfigError(f"{path}: config {exc}; replace it with a YAML file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config ({exc.strerror}); check its permissions") \
            from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: config is not UTF-8 text; save it as UTF-8") from None


def parse_yaml(text: str, where: Path | str) -> Any:
    """Parse config text: a mapping (empty for an empty file), or a one-line ConfigError.

    Refused like a syntax error: nesting deeper than the run files may have, and anchors whose
    aliases expand past 200,000 values (a "billion laughs" bomb, a few lines long, would
    otherwise hang every command that reads the config, --help included).
    """
    from ruamel.yaml.error import YAMLError

    from massgen_plugins.data import DataError, check_data, check_yaml_text

    try:
        check_yaml_text(text)
        data = round_trip_yaml().load(text)
        check_data(data, null_numbers=False)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}{at}: invalid YAML ({problem}); fix the syntax there") \
            from None
    except RecursionError:
        raise ConfigError(f"{where}: nested too deeply to be a config; fix or remove it") from None
    except DataError as exc:
        raise ConfigError(f"{where}: {exc}; fix or remove it") from None
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: expected a mapping of settings at the top, got {_kind(data)}")
    return data


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (Mapping, list)):
        return "a mapping" if isinstance(value, Mapping) else "a list"
    return repr(plain(value))


def plain(value: Any) -> Any:
    """Turn ruamel's round-trip types into builtin dicts, lists and scalars."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    for kind in (int, float, str):
        if isinstance(value, kind):
            return kind(value)
    return value


def _close(word: str, options: list[str]) -> str:
    import difflib

    near = difflib.get_close_matches(word, options, n=1)
    return f" (did you mean '{near[0]}'?)" if near else ""


def check_value(value: Any, setting: Setting) -> str | None:
    """Why `value` does not fit `setting`, or None when it does."""
    want = setting.type
    if value is None:
        return None
    ok: Callable[[Any], bool] = {
        bool: lambda v: isinstance(v, bool),
        int: lambda v: isinstance(v, int) and not isinstance(v, bool),
        float: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        str: lambda v: isinstance(v, str),
        list: lambda v: isinstance(v, list),
        dict: lambda v: isinstance(v, Mapping),
    }[want]
    if not ok(value):
        return f"expected {_TYPE_NAMES[want]}, got {_kind(value)}"
    if setting.item_type is not None and want in (list, dict):
        items = value.values() if want is dict else value
        inner = Setting(type=setting.item_type)
        for item in items:
            why = check_value(item, inner)
            if why:
                return f"{why.replace('expected', 'expected each item to be', 1)}"
    if setting.choices is not None:
        # For a list or a mapping, the choices constrain each item (or value).
        items = (value.values() if want is dict else value) if want in (list, dict) else [value]
        for item in items:
            if item not in setting.choices:
                return (f"expected one of {', '.join(map(str, setting.choices))}, "
                        f"got {_kind(item)}")
    return None


def shared_keys(data: Mapping[str, Any], where: Path | str) -> list[str]:
    """Warnings about one shared file's top-level keys that are not ours: near misses of ours.

    Keys MassGen knows, and keys close to none of ours, are MassGen's and say nothing.
    """
    warnings = []
    for key in data:
        name = str(key)
        if name in CORE_SCHEMA or name in MASSGEN_KEYS:
            continue
        import difflib

        near = difflib.get_close_matches(name.lower(), list(CORE_SCHEMA), n=1, cutoff=0.75)
        if near:
            warnings.append(f"{where}{_line(data, key)}: {name}: not a massgen-plugins key, so "
                            f"it is left to MassGen (did you mean '{near[0]}'?)")
    return warnings


def retired_keys(data: Mapping[str, Any], where: Path | str) -> list[str]:
    """A warning for each key of one file that no longer means anything (RETIRED)."""
    warnings = []
    for (section, key), why in RETIRED.items():
        node = data.get(section)
        if isinstance(node, Mapping) and key in node:
            warnings.append(f"{where}{_line(node, key)}: {section}.{key}: no longer used ({why}); "
                            "remove it")
    return warnings


def legacy_catalog(data: Mapping[str, Any], where: Path | str) -> tuple[Any, str | None]:
    """A top-level `models` mapping written for massgen-plugins, and the warning it earns.

    Older massgen-plugins read model overrides from `models`; MassGen refuses to run with that
    key, so it is read (when it looks like ours: `provider/model` keys) and named for renaming.
    """
    value = data.get(LEGACY_MODELS)
    if not isinstance(value, Mapping) or not value or not all("/" in str(k) for k in value):
        return None, None
    return value, (f"{where}{_line(data, LEGACY_MODELS)}: models: MassGen refuses to run a config "
                   f"with a top-level 'models' key; rename it to '{MODEL_CATALOG}' (read as "
                   f"{MODEL_CATALOG} for now)")


def only_ours(data: Mapping[str, Any]) -> bool:
    """Whether a file's settings are all massgen-plugins' (none of MassGen's), and there are some."""
    ours = set(CORE_SCHEMA)
    if legacy_catalog(data, "")[0] is not None:
        ours.add(LEGACY_MODELS)
    return bool(data) and all(str(key) in ours for key in data)


def breaks_massgen(file: ConfigFile, files: list[ConfigFile]) -> str:
    """The warning for a file of MassGen's that holds only our settings: what it breaks, what to do."""
    target = next(f.path for f in files if f.role == OURS_FOR[file.role])
    where = " here" if file.role == MASSGEN_PROJECT else ""
    return (f"{file.path}: holds only massgen-plugins settings, but MassGen runs this file as its "
            f"config, so `massgen \"question\"` fails{where}; run `massgen-plugins config "
            f"migrate` to move them to {target}")


def file_breaks_massgen(file: ConfigFile) -> bool:
    """Whether `file` is one MassGen runs as its config that holds only our settings."""
    if not file.massgens or not file.exists:
        return False
    try:
        return only_ours(read_yaml(file.path))
    except ConfigError:  # a broken file is reported where it is read
        return False


def validate(data: Mapping[str, Any], schema: Mapping[str, Any], where: Path | str,
             prefix: str = "") -> None:
    """Check one file's data against a schema section; raise ConfigError on the first problem.

    At the top level (no `prefix`) a key the schema lacks is MassGen's and is skipped; inside
    a section of ours it is an error.
    """
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        spec = schema.get(key)
        if spec is None and not prefix:
            continue
        if spec is None:
            known = sorted(k for k in schema if (prefix[:-1], k) not in RETIRED)
            hint = f"known keys: {', '.join(known)}" if known else "this section takes no keys"
            raise ConfigError(f"{where}{_line(data, key)}: {dotted}: unknown key"
                              f"{_close(str(key), known)}; {hint}")
        if isinstance(spec, Setting):
            why = check_value(value, spec)
            if why:
                raise ConfigError(f"{where}{_line(data, key)}: {dotted}: {why}")
        elif prefix == "" and key == PLUGINS:
            validate_plugins_section(value, where, data)
        elif not isinstance(value, Mapping):
            raise ConfigError(f"{where}{_line(data, key)}: {dotted}: expected a mapping, "
                              f"got {_kind(value)}")
        else:
            validate(value, spec, where, dotted + ".")


def validate_plugins_section(value: Any, where: Path | str, parent: Any) -> None:
    """Each `plugins.<name>` is a mapping whose `enabled`, if present, is true or false."""
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}{_line(parent, PLUGINS)}: plugins: expected a mapping of "
                          f"plugin names to their settings, got {_kind(value)}")
    for name, section in value.items():
        if not isinstance(section, Mapping):
            raise ConfigError(f"{where}{_line(value, name)}: plugins.{name}: expected a mapping "
                              f"such as '{{enabled: false}}', got {_kind(section)}")
        if ENABLED in section and not isinstance(section[ENABLED], bool):
            raise ConfigError(f"{where}{_line(section, ENABLED)}: plugins.{name}.enabled: "
                              f"expected true or false, got {_kind(section[ENABLED])}")


def parse_env(name: str, raw: str, setting: Setting) -> Any:
    """Parse an environment variable's text as the setting's type, or raise ConfigError."""
    want = setting.type
    text = raw.strip()
    try:
        if want is bool:
            if text.lower() in _TRUE | _FALSE:
                value: Any = text.lower() in _TRUE
            else:
                raise ValueError
        elif want is int:
            value = int(text)
        elif want is float:
            value = float(text)
        elif want is list:
            value = [part.strip() for part in text.split(",") if part.strip()]
        elif want is str:
            value = text
        else:
            raise ConfigError(f"environment variable {name}: cannot set a mapping from the "
                              "environment; set it in a config file")
    except ValueError:
        raise ConfigError(f"environment variable {name}: expected {_TYPE_NAMES[want]}, "
                          f"got {raw!r}; fix or unset it") from None
    why = check_value(value, setting)
    if why:
        raise ConfigError(f"environment variable {name}: {why}; fix or unset it")
    return value


Path_ = tuple[str, ...]


def dotted(path: Path_ | str) -> str:
    """A key path as the user reads it, e.g. `plugins.tui_throttle.enabled`."""
    return path if isinstance(path, str) else ".".join(path)


def leaves(data: Mapping[str, Any], prefix: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    """Every leaf under `data`, as key paths (a key may hold a dot: `openai/llama3.1`)."""
    for key, value in data.items():
        if isinstance(value, Mapping) and value:
            yield from leaves(value, (*prefix, str(key)))
        else:
            yield (*prefix, str(key)), value


def _settings_in(schema: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Setting]]:
    for key, spec in schema.items():
        if isinstance(spec, Setting):
            yield f"{prefix}{key}", spec
        else:
            yield from _settings_in(spec, f"{prefix}{key}.")


@attrs.define
class Config:
    """The merged config, with the source of every value: a file path, an env var, a default."""

    files: list[ConfigFile]
    values: dict[str, Any] = attrs.Factory(dict)
    sources: dict[str, str] = attrs.Factory(dict)
    raw: list[tuple[ConfigFile, Any]] = attrs.Factory(list)
    # One line each, for the host to print: near misses of our keys, a legacy `models`.
    warnings: list[str] = attrs.Factory(list)

    @classmethod
    def load(cls, explicit: str | os.PathLike[str] | None = None,
             environ: Mapping[str, str] | None = None) -> Config:
        """Read, validate and merge the files, then apply the core's environment variables."""
        config = cls(files=config_files(explicit))
        for file in config.files:
            if not file.exists:
                continue
            data = read_yaml(file.path)
            # MassGen's sections hold keys too (agents' backends): mask them wherever they appear.
            from massgen_plugins.secrets import remember  # only where a file holds settings

            remember(data)
            if file.massgens and only_ours(data):
                config.warnings.append(breaks_massgen(file, config.files))
            config.warnings += shared_keys(data, file.path)
            validate(data, CORE_SCHEMA, file.path)
            config.warnings += retired_keys(data, file.path)
            ours = {k: data[k] for k in data if k in CORE_SCHEMA}
            legacy, warning = legacy_catalog(data, file.path)
            if legacy is not None and MODEL_CATALOG not in ours:
                config.warnings.append(str(warning))
                validate({MODEL_CATALOG: legacy}, CORE_SCHEMA, file.path)
                ours[MODEL_CATALOG] = legacy
            config.raw.append((file, data))
            for path, value in leaves(ours):
                config.set(path, plain(value), str(file.path))
        config.apply_env(CORE_SCHEMA, os.environ if environ is None else environ)
        return config

    def get(self, dotted: str, default: Any = None) -> Any:
        """The value at a dotted key such as `plugins.tui_throttle.enabled`, or `default`."""
        node: Any = self.values
        for part in dotted.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return default
            node = node[part]
        return node

    def source(self, path: Path_ | str) -> str | None:
        """Where the value at a key path (or dotted key) came from, or None when nothing set it."""
        key = dotted(path)
        while key:
            # A leaf inside a dict set whole (a plugin's default {text: 50, ...}) has its source.
            if key in self.sources:
                return self.sources[key]
            key = key.rpartition(".")[0]
        return None

    def set(self, path: Path_ | str, value: Any, source: str) -> None:
        """Set one leaf value and record its source, replacing what a lower layer said."""
        parts = tuple(path.split(".")) if isinstance(path, str) else path
        node = self.values
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        replaced = node.get(parts[-1])
        node[parts[-1]] = value
        key = dotted(parts)
        if isinstance(replaced, dict) and replaced:
            # A section a lower layer filled, replaced whole: its leaves' sources go with it.
            # Only then: scanning every source for each leaf set made loading quadratic.
            self.sources = {k: v for k, v in self.sources.items()
                            if not k.startswith(key + ".")}
        self.sources[key] = source

    def apply_env(self, schema: Mapping[str, Any], environ: Mapping[str, str],
                  prefix: str = "") -> None:
        """Apply every setting in `schema` that names an environment variable that is set."""
        for key, setting in _settings_in(schema, prefix):
            if setting.env and setting.env in environ:
                value = parse_env(setting.env, environ[setting.env], setting)
                self.set(key, value, f"env {setting.env}")

    def breaks_massgen(self, file: ConfigFile) -> bool:
        """Whether `file`, as this load read it, is one MassGen runs holding only our settings."""
        return any(f is file and f.massgens and only_ours(data) for f, data in self.raw)

    def plugin_names(self) -> list[str]:
        """The plugin names that appear under `plugins` in any file."""
        section = self.values.get(PLUGINS)
        return sorted(section) if isinstance(section, Mapping) else []

    def plugin_settings(self, name: str, schema: Mapping[str, Setting],
                        environ: Mapping[str, str]) -> dict[str, Any]:
        """Validate `plugins.<name>` in every file against the plugin's schema; return its values.

        Defaults fill what the files leave unset, and the schema's env variables win over both.
        """
        full = {ENABLED: Setting(bool, True), **schema}
        for file, data in self.raw:
            section = (data.get(PLUGINS) or {}).get(name)
            if section:
                validate(section, full, file.path, f"{PLUGINS}.{name}.")
        prefix = f"{PLUGINS}.{name}."
        self.apply_env(schema, environ, prefix)
        values = dict(self.get(f"{PLUGINS}.{name}", {}) or {})
        for key, setting in schema.items():
            if values.get(key) is None and setting.default is not None:
                values[key] = setting.default
                self.sources.setdefault(prefix + key, "default")
                self.values.setdefault(PLUGINS, {}).setdefault(name, {})[key] = setting.default
        values.pop(ENABLED, None)
        return values

    def flat(self) -> dict[Path_, Any]:
        """Every leaf value by key path."""
        return dict(leaves(self.values))


def write_atomic(path: Path, write: Any) -> None:
    """Write a file through a synced temporary sibling and a rename: never half a file."""
    mode = path.stat().st_mode & 0o777 if path.exists() else None
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())  # the data is on disk before the name points at it
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sync_dir(path.parent)


def _sync_dir(directory: Path) -> None:
    """Make a rename in `directory` durable, where the OS allows opening a directory."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
