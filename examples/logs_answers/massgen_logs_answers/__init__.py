"""MassGen plugin example: `logs answers` shows every answer of a run and the votes it got."""
