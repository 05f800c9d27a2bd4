"""`python -m serving.cli`, as the `talent` entry point."""

from serving.cli import main

main()
