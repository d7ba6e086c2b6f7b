"""The public Python API: one study per Fig. 5 panel family, and the paper campaign.

Each study module has ``Options`` (validated; ``quick()`` and ``full()`` presets),
``build_flows``, ``run``, ``collect`` (a typed ``Result``), ``figures``, ``claims`` and
``table_rows``; see :mod:`lithiophilic.studies.base`. :mod:`lithiophilic.studies.paper`
composes them into the whole Fig. 5 campaign and its report.

:data:`PANELS` maps a panel id to its study module and :data:`STUDIES` a study name to its
module; both import the module when it is first looked up (a study imports jobflow, the
Makers and the plotting code)::

    >>> from lithiophilic.studies import PANELS, STUDIES, panels_of
    >>> PANELS["5c"].__name__
    'lithiophilic.studies.li_sites'
    >>> panels_of("li_layers")
    ('5d', '5e')
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from types import ModuleType

__all__ = ["PANELS", "PANEL_STUDY", "STUDIES", "STUDY_NAMES", "panels_of", "study_name"]

#: Study names, in the order of the paper's panels.
STUDY_NAMES: tuple[str, ...] = (
    "surface",
    "pdos",
    "li_sites",
    "li_layers",
    "aggregation",
    "verify",
    "screen",
)

#: Panel id -> name of the study that computes it.
PANEL_STUDY: Mapping[str, str] = {
    "5a": "surface",
    "5b": "pdos",
    "5c": "li_sites",
    "5d": "li_layers",
    "5e": "li_layers",
    "5f": "aggregation",
    "5g": "aggregation",
}


class _LazyModules(Mapping[str, ModuleType]):
    """A read-only mapping key -> study module, imported on first look-up."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self._names = dict(names)

    def __getitem__(self, key: str) -> ModuleType:
        return importlib.import_module(f"{__name__}.{self._names[key]}")

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k!r}: <study {v}>" for k, v in self._names.items())
        return "{" + inner + "}"


#: Panel id ("5a" … "5g") -> its study module.
PANELS: Mapping[str, ModuleType] = _LazyModules(PANEL_STUDY)

#: Study name -> its module.
STUDIES: Mapping[str, ModuleType] = _LazyModules({name: name for name in STUDY_NAMES})


def study_name(study: ModuleType | str) -> str:
    """Return the name of a study given as a module or a name (``surface``, ``li_sites``...)."""
    return study if isinstance(study, str) else study.__name__.rsplit(".", 1)[-1]


def panels_of(study: ModuleType | str) -> tuple[str, ...]:
    """Return the panel ids a study computes, e.g. ``("5d", "5e")`` for ``li_layers``."""
    name = study_name(study)
    return tuple(panel for panel, owner in PANEL_STUDY.items() if owner == name)
