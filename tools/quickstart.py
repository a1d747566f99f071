"""The README's Quick start commands, extracted so CI runs exactly what a new user reads.

Prints the commands of the first ``bash`` block under ``## Quick start``, one per line, after
checking that the Chinese ``## 快速开始`` block holds the same commands in the same order
(comments may differ: they are translated). Exit status 1, with one line saying what differs,
when a block is missing or the two disagree.

Usage: ``python tools/quickstart.py [README.md]``
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

SECTIONS = ("Quick start", "快速开始")


def block_commands(readme: str, heading: str) -> list[str]:
    """The commands (non-empty, non-comment lines) of the first bash block under a heading.

    Parameters
    ----------
    readme : str
        The README's text.
    heading : str
        A level-2 heading's text, e.g. ``"Quick start"``.

    Returns
    -------
    list of str

    Raises
    ------
    ValueError
        When the heading or its bash block is missing, or the block has no command.
    """
    section = re.search(rf"^## {re.escape(heading)}[ \t]*\n(.*?)(?=^## |\Z)", readme, re.M | re.S)
    if section is None:
        raise ValueError(f"README has no '## {heading}' section")
    block = re.search(r"^```(?:bash|sh|shell)[ \t]*\n(.*?)^```", section.group(1), re.M | re.S)
    if block is None:
        raise ValueError(f"README's '## {heading}' section has no ```bash block")
    commands = [
        line.strip()
        for line in block.group(1).splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    if not commands:
        raise ValueError(f"README's '## {heading}' bash block has no command")
    return commands


def quickstart_commands(readme: str) -> list[str]:
    """The Quick start commands, checked against the Chinese quick start's.

    Raises
    ------
    ValueError
        When either block is missing or their commands differ.
    """
    english, chinese = (block_commands(readme, heading) for heading in SECTIONS)
    if english != chinese:
        raise ValueError(
            f"the commands of '## {SECTIONS[0]}' {english} differ from '## {SECTIONS[1]}' "
            f"{chinese}: make both blocks run the same commands"
        )
    return english


def main(argv: list[str]) -> int:
    """Print the commands; 1 with a message when the README's blocks are missing or differ."""
    path = Path(argv[0]) if argv else Path(__file__).resolve().parents[1] / "README.md"
    try:
        commands = quickstart_commands(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"quickstart: {path}: {exc}", file=sys.stderr)
        return 1
    print("\n".join(commands))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
