"""MassGen run logs: finding them, reading them, and preparing them for analysis."""
