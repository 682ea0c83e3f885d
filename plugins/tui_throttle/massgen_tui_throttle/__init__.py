"""MassGen plugin: coalesced, rate-capped event delivery to the TUI."""

__version__ = "0.2.0"
