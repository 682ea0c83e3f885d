"""MassGen events and the sinks that carry them to the TUI."""
