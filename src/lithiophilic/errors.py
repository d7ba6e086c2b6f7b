"""Exception hierarchy of lithiophilic.

Every error the package raises on purpose derives from :class:`LithiophilicError`, so a
caller (the CLI, a workflow manager) can tell a known failure from a bug.
"""

from __future__ import annotations

__all__ = [
    "AnalysisError",
    "CalculationFailed",
    "CalculatorUnavailableError",
    "ConfigurationError",
    "LithiophilicError",
    "NotConvergedError",
]


class LithiophilicError(Exception):
    """Base class of every error raised on purpose by lithiophilic."""


class ConfigurationError(LithiophilicError, ValueError):
    """Raised for bad input (a material, Miller index, setting, calculator name), before any calculation."""


class CalculatorUnavailableError(ConfigurationError):
    """Raised when a registered calculator's package, model weights or binary are not installed."""


class CalculationFailed(LithiophilicError, RuntimeError):
    """Raised when a calculation ran but its result must not be used (crash, lost atoms, bad geometry)."""


class NotConvergedError(CalculationFailed):
    """Raised when a relaxation or SCF cycle did not converge within its limits."""


class AnalysisError(LithiophilicError):
    """Raised when results cannot be turned into a number (missing reference, inconsistent inputs)."""
