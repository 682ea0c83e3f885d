"""The `tui_throttle` plugin's hook implementations, loaded through the `massgen` entry point.

Keep this module's imports light: it is imported on every `massgen` invocation while the
plugin is enabled.
"""
