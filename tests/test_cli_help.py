"""Every command and subcommand has --help with an example, and the README mentions it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from stockguard.cli import cli

README = Path(__file__).resolve().parents[1] / "README.md"


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command path below ``group``: ("sync",), ("listings", "import"), ..."""
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        yield path
        if isinstance(command, click.Group):
            yield from command_paths(command, path)


PATHS = list(command_paths(cli))


def test_the_tree_is_not_empty() -> None:
    names = {" ".join(p) for p in PATHS}
    assert {"sync", "plan", "run", "status", "demo"} <= names


@pytest.mark.parametrize("path", [(), *PATHS], ids=lambda p: " ".join(p) or "stockguard")
def test_help_exits_0_with_an_example(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    assert "Example" in result.output, f"`stockguard {' '.join(path)} --help` shows no example"


@pytest.mark.parametrize("path", PATHS, ids=" ".join)
def test_readme_mentions_the_command(path: tuple[str, ...]) -> None:
    text = README.read_text(encoding="utf-8")
    # A top-level command as "stockguard NAME"; a subcommand as its words in order
    # ("listings show" in a table cell that already said "stockguard listings import").
    wanted = f"stockguard {path[0]}" if len(path) == 1 else " ".join(path)
    assert re.search(rf"(?<![\w-]){re.escape(wanted)}(?![\w-])", text), (
        f"README.md does not mention `{wanted}`"
    )
