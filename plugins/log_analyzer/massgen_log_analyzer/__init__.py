"""MassGen plugin: massgen-plugins logs analyze with any provider/model, and the cost before the run."""

__version__ = "0.2.0"
