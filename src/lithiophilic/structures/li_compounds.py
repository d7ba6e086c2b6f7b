"""Li–X intermetallic compounds the skin screen can build from prototypes (Li–skin alloying).

Each entry of :data:`LI_COMPOUNDS` is a well-known binary compound of Li with a skin element,
built in its prototype with the measured lattice constant as the starting value (the screen
relaxes cell and positions with its calculator):

* **B32** (NaTl type, Fd-3m, cF16): two interpenetrating diamond sublattices, a superstructure
  of bcc with a = 2·a_bcc; the primitive cell holds 2 Li + 2 X. LiAl (a = 6.37 Å) and LiZn
  (a = 6.21 Å): Zintl & Brauer, Z. Phys. Chem. B 20, 245 (1933).
* **B2** (CsCl type, Pm-3m, cP2): LiAg (β-LiAg, a = 3.17 Å; Freeth & Raynor, J. Inst. Met.
  82, 569 (1954)). LiMg has no ordered compound: Li–Mg forms a bcc solid solution over a wide
  range (Nayeb-Hashemi, Clark & Pelton, Bull. Alloy Phase Diagr. 5, 365 (1984)); B2 LiMg
  (a = 3.48 Å, between bcc Li and the bcc solid solution) is an ordered *approximant* of it,
  labelled as such.

Elements with no entry (Cu: no Li–Cu compound exists; Sn, Au … not catalogued) get no
alloying descriptor, with that reason; a user's own compound enters as a CIF/POSCAR file.

Sn is deliberately not catalogued (:data:`NOT_CATALOGUED`): Li–Sn compounds exist (Li2Sn5,
P4/mbm, a = 10.274, c = 3.125 Å, Hansen & Chang, Acta Cryst. B 25, 2392 (1969); LiSn, P2/m,
Müller & Schäfer, Z. Naturforsch. B 28, 246 (1973); Li7Sn3 … Li17Sn4), but no checked source
of their atomic coordinates was available offline when this catalogue was written (no CIF in
pymatgen/ASE data; the only public coordinates found were an unreferenced script's), and
coordinates are not invented here. Give the compound's CIF with ``--li-compound``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from ase import Atoms

from lithiophilic.errors import ConfigurationError
from lithiophilic.structures.bulk import make_b2

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "LI_COMPOUNDS",
    "NOT_CATALOGUED",
    "NO_KNOWN_COMPOUND",
    "LiCompoundSpec",
    "li_compounds_of",
    "make_b32",
    "make_li_compound",
]


@dataclass(frozen=True)
class LiCompoundSpec:
    """A catalogued Li–X compound.

    Parameters
    ----------
    name
        Formula, Li first (``"LiAl"``).
    element
        The skin element X.
    prototype
        ``"B32"`` (NaTl) or ``"B2"`` (CsCl).
    a_a
        Starting cubic lattice constant, Å.
    reference
        Where the structure and lattice constant come from.
    approximant
        True when the compound is an ordered model of a phase that is really a solid solution.
    """

    name: str
    element: str
    prototype: Literal["B32", "B2"]
    a_a: float
    reference: str
    approximant: bool = False


#: Li–X compounds the screen builds (module docstring).
LI_COMPOUNDS: dict[str, LiCompoundSpec] = {
    "LiAl": LiCompoundSpec(
        "LiAl", "Al", "B32", 6.37, "NaTl-type (B32) LiAl, a = 6.37 Å; Zintl & Brauer 1933"
    ),
    "LiZn": LiCompoundSpec(
        "LiZn", "Zn", "B32", 6.21, "NaTl-type (B32) LiZn, a = 6.21 Å; Zintl & Brauer 1933"
    ),
    "LiAg": LiCompoundSpec(
        "LiAg", "Ag", "B2", 3.17, "CsCl-type (B2) beta-LiAg, a = 3.17 Å; Freeth & Raynor 1954"
    ),
    "LiMg": LiCompoundSpec(
        "LiMg",
        "Mg",
        "B2",
        3.48,
        "B2 LiMg: ordered approximant of the bcc Li-Mg solid solution (no Li-Mg compound "
        "exists; Nayeb-Hashemi, Clark & Pelton 1984)",
        approximant=True,
    ),
}


#: Skin elements known to form no compound with Li (the alloying descriptor says so).
NO_KNOWN_COMPOUND: dict[str, str] = {
    "Cu": "Li and Cu form no compound (immiscible; Pelton, Bull. Alloy Phase Diagr. 7, 1986)",
    "Ni": "Li and Ni form no compound (immiscible)",
    "Fe": "Li and Fe form no compound (immiscible)",
}


#: Skin elements that do form Li compounds, none of them catalogued here (the reason says so).
NOT_CATALOGUED: dict[str, str] = {
    "Sn": "no Li-Sn prototype catalogued (LiSn P2/m, Li2Sn5 P4/mbm ...: no checked atomic "
    "coordinates available offline); give --li-compound PATH (a CIF/POSCAR of the compound)",
}


def make_b32(element_a: str, element_b: str, *, a_a: float) -> Atoms:
    """Build the 4-atom primitive cell of a NaTl-type (B32, Fd-3m) compound AB.

    A on (0, 0, 0) and (¼, ¼, ¼)·a, B on (½, ½, ½) and (¾, ¾, ¾)·a of the fcc primitive cell
    (vectors a/2 (0,1,1), (1,0,1), (1,1,0)): every atom has 4 A and 4 B nearest neighbours at
    √3 a/4.

    Raises
    ------
    ConfigurationError
        If the lattice constant is not positive.
    """
    if not a_a > 0:
        msg = f"a_a must be positive, got {a_a}"
        raise ConfigurationError(msg)
    cell = 0.5 * a_a * np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
    diagonal = a_a * np.array([1.0, 1.0, 1.0])
    positions = [f * diagonal for f in (0.0, 0.25, 0.5, 0.75)]
    return Atoms(
        [element_a, element_a, element_b, element_b], positions=positions, cell=cell, pbc=True
    )


def make_li_compound(name: str) -> Atoms:
    """Build a catalogued Li–X compound; ``info`` holds its prototype and reference.

    Raises
    ------
    ConfigurationError
        If ``name`` is not in :data:`LI_COMPOUNDS`.
    """
    spec = LI_COMPOUNDS.get(name)
    if spec is None:
        msg = f"li_compound: {name!r} is not catalogued; known: {', '.join(LI_COMPOUNDS)}"
        raise ConfigurationError(msg)
    if spec.prototype == "B32":
        atoms = make_b32("Li", spec.element, a_a=spec.a_a)
    else:
        atoms = make_b2("Li", spec.element, a_a=spec.a_a)
    atoms.info.update(
        {
            "material": spec.name,
            "prototype": spec.prototype,
            "reference": spec.reference,
            "approximant": spec.approximant,
            "a_a": spec.a_a,
        }
    )
    return atoms


def li_compounds_of(elements: Iterable[str]) -> list[str]:
    """Return the catalogued Li–X compounds of any of ``elements`` (catalogue order)."""
    wanted = set(elements)
    return [name for name, spec in LI_COMPOUNDS.items() if spec.element in wanted]
