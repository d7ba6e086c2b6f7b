"""How the screen sees one skin: its bulk, lattice, facet and the 5c/5d options on that facet.

Shared by :mod:`lithiophilic.studies.screen` and its descriptor modules
(:mod:`~lithiophilic.studies.screen_li`, :mod:`~lithiophilic.studies.screen_wetting_neb`), which
take the screen's ``Options`` (typed ``Any`` here so that this module imports none of them).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from lithiophilic.studies import li_layers, li_sites
from lithiophilic.studies.base import materials_of
from lithiophilic.workflows.binding import substrate_bulk

if TYPE_CHECKING:
    from ase import Atoms

__all__ = [
    "CLOSE_PACKED",
    "layers_options",
    "sites_options",
    "skin_bulk",
    "skin_facet",
    "skin_lattice",
]

#: Lattice -> the facet ``facet=(111)`` means on it (close-packed, see the module docstring).
CLOSE_PACKED: dict[str, list[int]] = {
    "fcc": [1, 1, 1],
    "hcp": [0, 0, 1],
    "bcc": [1, 1, 0],
    "bct": [1, 0, 0],
}


@lru_cache(maxsize=64)
def _bulk_of_name(name: str) -> tuple[Atoms, str]:
    atoms, _, kind = substrate_bulk(name)
    return atoms, kind


def skin_bulk(material: Any) -> tuple[Atoms, str]:
    """Return (bulk Atoms, substrate kind) of a skin as the 5c flows build it (names cached)."""
    if isinstance(material, str):
        atoms, kind = _bulk_of_name(material)
        return atoms.copy(), kind
    atoms, _, kind = substrate_bulk(material)
    return atoms, kind


def skin_lattice(options: Any, material: Any) -> tuple[str, str]:
    """Return (lattice name, substrate kind) of a skin's bulk."""
    atoms, kind = skin_bulk(material)
    if kind == "sqs":
        return str(atoms.info.get("lattice", "fcc")), kind
    if kind == "complex" and atoms.info.get("lattice") not in CLOSE_PACKED:
        return str(atoms.info.get("lattice", "complex")), kind
    from pymatgen.io.ase import AseAtomsAdaptor
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    number = SpacegroupAnalyzer(AseAtomsAdaptor.get_structure(atoms)).get_space_group_number()
    lattice = {225: "fcc", 194: "hcp", 229: "bcc", 141: "bct"}.get(number, f"sg{number}")
    return lattice, kind


def skin_facet(options: Any, skin: Any) -> list[int]:
    """Return the facet of ``skin``: chosen (``facet=None``), close-packed (111), or ``facet``.

    ``facet=None``: the lowest-γ facet of the facet stage (before it ran: the close-packed one).
    """
    ((label, material),) = materials_of([skin])
    if options.facet is None and label in options.facet_choice:
        return list(options.facet_choice[label]["facet"])
    if options.facet is not None and list(options.facet) != [1, 1, 1]:
        return list(options.facet)
    lattice, _ = skin_lattice(options, material)
    return list(CLOSE_PACKED.get(lattice, [1, 1, 1]))


def sites_options(options: Any, skin: Any) -> li_sites.Options:
    """Return the 5c options of one skin (its facet, the preset's slabs, the site cap)."""
    preset = li_sites.Options.quick if options.preset == "quick" else li_sites.Options.full
    return preset(
        materials=[skin],
        millers=[skin_facet(options, skin)],
        calculator=options.calculator,
        max_sites=options.max_sites,
        keep_trajectory=options.keep_trajectory,
    )


def layers_options(options: Any, skin: Any) -> li_layers.Options:
    """Return the 5d options of one skin: one Li layer on its slab."""
    preset = li_layers.Options.quick if options.preset == "quick" else li_layers.Options.full
    return preset(sites=sites_options(options, skin), layers=1)
