"""The bridge into the real MassGen: plugins at work inside `massgen` runs.

MassGen has no plugin mechanism, so the bridge reaches in from outside, the way an
OpenTelemetry instrumentation does: `autoload/` starts it when a process imports `massgen`,
`runtime` checks MassGen's version and keeps the plugin host of the run, and each seam (see
`seams.SEAMS`) wraps a few MassGen functions with wrapt as their module loads. A seam that is
not what it was built against is one warning line, and MassGen then behaves as without us.
Switch the automatic start off with MASSGEN_PLUGINS_BRIDGE=0.
"""
