"""Errors that reach the user: one line naming the problem and the fix."""

from __future__ import annotations

MAX_FRAGMENT = 200
"""Longest run of characters a message echoes from the input (a column list, a value)."""
_MAX_MESSAGE = 4 * MAX_FRAGMENT


def clip_text(text: str, limit: int = MAX_FRAGMENT) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis, so no input floods a message.

    Parameters
    ----------
    text : str
    limit : int

    Returns
    -------
    str
        ``text`` itself when short enough, else its first ``limit - 1`` characters and ``…``.
    """
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clip_words(text: str) -> str:
    # Any single long word (an echoed column list, a path, a value) is cut to the limit.
    return " ".join(clip_text(word) for word in text.split())


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
        text = clip_text(_clip_words(self.problem), _MAX_MESSAGE)
        if self.fix:
            text += " — fix: " + clip_text(_clip_words(self.fix), _MAX_MESSAGE)
        return text


class InputError(YushuError):
    """A bad input file, value or option."""


class DataError(YushuError):
    """Input that parses but cannot support the analysis (no streets, no residences)."""


class OutputError(YushuError):
    """The output folder cannot be written."""


STOP_SIGNALS: list[int] = []
"""Signals the command line received (SIGINT, SIGTERM, SIGHUP). Long steps check it between
them: a ``KeyboardInterrupt`` raised while native code runs a Python callback (numba's
compiler, in llvmlite) is printed and swallowed there, so the raise alone cannot be trusted
to stop."""


def raise_if_stopped() -> None:
    """Raise ``KeyboardInterrupt`` when a stop signal has come (see :data:`STOP_SIGNALS`)."""
    if STOP_SIGNALS:
        raise KeyboardInterrupt
