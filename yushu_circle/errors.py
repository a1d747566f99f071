"""Errors that reach the user: one line naming the problem and the fix."""

from __future__ import annotations


class YushuError(Exception):
    """A problem with the user's input or environment, reported without a traceback.

    Parameters
    ----------
    problem : str
        What is wrong, naming the file, key or value.
    fix : str
        What the user can do about it.
    exit_code : int
        The exit status the command line uses for this error.
    """

    def __init__(self, problem: str, fix: str = "", exit_code: int = 2) -> None:
        self.problem = problem
        self.fix = fix
        self.exit_code = exit_code
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The one-line message shown to the user."""
        text = " ".join(self.problem.split())
        if self.fix:
            text += " — fix: " + " ".join(self.fix.split())
        return text


class InputError(YushuError):
    """A bad input file, value or option."""


class DataError(YushuError):
    """Input that parses but cannot support the analysis (no streets, no residences)."""


class OutputError(YushuError):
    """The output folder cannot be written."""
