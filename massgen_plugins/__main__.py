"""`python -m massgen_plugins` runs the `massgen` command line."""

from massgen_plugins.cli import main

main()
