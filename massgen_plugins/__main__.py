"""`python -m massgen_plugins` runs the `massgen-plugins` command line."""

from massgen_plugins.cli import main

main()
