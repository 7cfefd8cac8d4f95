"""CLI entry point. Each command lives in its own module and registers itself on `main`."""

from loader.cli.app import main

# One import per command module; each registers its commands on `main`.

__all__ = ["main"]
