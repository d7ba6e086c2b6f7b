"""Writing figures: one place that knows the formats (PNG, PDF, SVG) and closes what it wrote.

Every figure of the package has a builder returning the open matplotlib ``Figure``
(``surface_energies_figure``, ``pdos_figure``, ``site_binding_figure``, ...) and a
``plot_*`` function that writes it with :func:`save_figure`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lithiophilic.errors import ConfigurationError

__all__ = ["FIGURE_FORMATS", "figure_path", "pyplot", "save_figure"]

#: File formats a figure is written in (the file suffix chooses).
FIGURE_FORMATS = ("png", "pdf", "svg")

#: Resolution of raster (PNG) figures, dots per inch.
_DPI = 150


def pyplot() -> Any:
    """Return ``matplotlib.pyplot`` with the non-interactive Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def figure_path(path: str | Path, fmt: str) -> Path:
    """Return ``path`` with the suffix of ``fmt`` (``"png"``, ``"pdf"`` or ``"svg"``).

    Raises
    ------
    ConfigurationError
        If ``fmt`` is not one of :data:`FIGURE_FORMATS`.
    """
    if fmt not in FIGURE_FORMATS:
        msg = f"format: {fmt!r} is not one of {', '.join(FIGURE_FORMATS)}"
        raise ConfigurationError(msg)
    return Path(path).with_suffix(f".{fmt}")


def save_figure(fig: Any, path: str | Path) -> Path:
    """Write ``fig`` to ``path`` in the format of its suffix, close it and return the path.

    Raises
    ------
    ConfigurationError
        If the suffix is not ``.png``, ``.pdf`` or ``.svg`` (the figure is closed, nothing
        is written).
    """
    plt = pyplot()
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FIGURE_FORMATS:
        plt.close(fig)
        msg = f"path: {str(path)!r} has no figure suffix; use one of .png, .pdf, .svg"
        raise ConfigurationError(msg)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=_DPI, format=fmt)
    plt.close(fig)
    return path
