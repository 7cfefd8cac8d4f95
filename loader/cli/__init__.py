"""CLI entry point. Each command lives in its own module and registers itself on `main`."""

# One import per command module; each registers its commands on `main`.
import loader.cli.demo_cmd  # noqa: F401
import loader.cli.emulator_cmd  # noqa: F401
import loader.cli.export_cmd  # noqa: F401
import loader.cli.forget_cmd  # noqa: F401
import loader.cli.ops_cmd  # noqa: F401
import loader.cli.run_cmd  # noqa: F401
import loader.cli.setup_sql_cmd  # noqa: F401
import loader.cli.upload_cmd  # noqa: F401
from loader.cli.app import main

__all__ = ["main"]
