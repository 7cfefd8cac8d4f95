"""Shared pytest fixtures live in tests/fixtures/ as plugins, one service per file."""

pytest_plugins = [
    "tests.fixtures.postgres",
    "tests.fixtures.emulator",
    "tests.fixtures.sshd",
    "tests.fixtures.fakesnow",
    "tests.fixtures.crucible",
    "tests.fixtures.chromium",
    "tests.fixtures.previous_release",
    "tests.fixtures.warehouse",
    "tests.fixtures.fake_loader",
]
