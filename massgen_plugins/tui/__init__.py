"""The Textual TUI: run state, the app, its event sink, and replay."""
