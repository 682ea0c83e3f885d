"""The Textual TUI: run state, the app, its event sink, and replay."""

from __future__ import annotations


def require_textual() -> None:
    """One line, not a traceback, where the optional Textual is not installed."""
    from massgen_plugins.errors import UsageError

    try:
        import textual  # noqa: F401
    except ImportError:
        raise UsageError("the TUI needs Textual, which massgen-plugins installs as an extra: "
                         "pip install 'massgen-plugins[tui]'") from None
