"""Exception hierarchy of sianode.

Every error a user can cause is a :class:`SianodeError`; the command-line interface catches it
and prints its message as one line (exit code 2). Messages name the offending field.
"""

from __future__ import annotations


class SianodeError(Exception):
    """Base class of every error sianode raises on purpose."""


class ParameterError(SianodeError, ValueError):
    """An input value is missing, has the wrong unit, or is physically impossible."""


class ParsingError(SianodeError):
    """A file could not be read: wrong format, truncated, missing columns."""


class CalculationError(SianodeError):
    """A calculation could not be completed (no root, solver failure, too few points)."""
