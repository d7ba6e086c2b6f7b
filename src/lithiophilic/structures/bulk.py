"""Ordered bulk crystals: fcc metals and γ-brass Cu5Zn8, plus symmetry checks.

References
----------
.. [1] M. Gourdon, D. Gout, D. J. Williams, T. Proffen, S. Hobbs, G. J. Miller,
   "Site preferences in γ-brass: Cu5Zn8", Inorg. Chem. 46, 251 (2007).
"""

from __future__ import annotations

import logging
from typing import Any

from ase import Atoms

from lithiophilic.errors import ConfigurationError
from lithiophilic.structures._common import copy_atoms, element_counts, min_distance_a

logger = logging.getLogger(__name__)

__all__ = [
    "GAMMA_BRASS_A_A",
    "GAMMA_BRASS_SITES",
    "get_primitive",
    "make_b2",
    "make_fcc",
    "make_gamma_brass",
    "primitive_gamma_brass",
    "symmetry_report",
    "validate_gamma_brass",
]

#: Cubic lattice constant of γ-brass Cu5Zn8 (Å), Gourdon et al. 2007.
GAMMA_BRASS_A_A = 8.866

#: Wyckoff sites of γ-brass in I-43m (No. 217): (cluster shell, element, Wyckoff, (x, y, z)).
#: Values of Gourdon et al. 2007 as tabulated in the AFLOW prototype A5B8_cI52_217_ce_cg,
#: converted to the conventional cell; they agree within 0.004 with the starting values derived
#: from Materials Project mp-1368 (IT 0.110, OT -0.173, OH 0.356, CO 0.314/0.033) and give
#: I-43m, Cu20Zn32 and nearest-neighbour distances 2.55–2.86 Å.
GAMMA_BRASS_SITES: tuple[tuple[str, str, str, tuple[float, float, float]], ...] = (
    ("inner tetrahedron", "Zn", "8c", (0.10781, 0.10781, 0.10781)),
    ("outer tetrahedron", "Cu", "8c", (-0.17226, -0.17226, -0.17226)),
    ("octahedron", "Cu", "12e", (0.35579, 0.0, 0.0)),
    ("cuboctahedron", "Zn", "24g", (0.31156, 0.31156, 0.03674)),
)


def make_fcc(element: str = "Cu", *, a_a: float = 3.615, cubic: bool = False) -> Atoms:
    """Build an fcc crystal of one element.

    Parameters
    ----------
    element
        Chemical symbol.
    a_a
        Cubic lattice constant, Å.
    cubic
        ``True`` for the 4-atom conventional cell, ``False`` for the 1-atom primitive cell.

    Returns
    -------
    ase.Atoms
        The crystal; ``info`` holds ``material``, ``lattice`` ("fcc"), ``composition``,
        ``description`` and ``a_a``.

    Raises
    ------
    ConfigurationError
        If ``element`` is not a chemical symbol or ``a_a`` is not positive.
    """
    from ase.build import bulk
    from ase.data import atomic_numbers

    if element not in atomic_numbers or element == "X":
        msg = f"element={element!r} is not a chemical symbol (e.g. 'Cu', 'Al')"
        raise ConfigurationError(msg)
    if not a_a > 0:
        msg = f"a_a={a_a!r} must be a positive lattice constant in Å"
        raise ConfigurationError(msg)
    atoms = bulk(element, "fcc", a=a_a, cubic=cubic)
    atoms.info.update(
        {
            "material": element,
            "lattice": "fcc",
            "composition": {element: 1.0},
            "description": f"fcc {element}, a = {a_a:.4f} Å",
            "a_a": float(a_a),
        }
    )
    return atoms


def make_b2(element_corner: str, element_centre: str, *, a_a: float) -> Atoms:
    """Build the 2-atom cubic cell of a CsCl-type (B2, Pm-3m) compound such as β-CuZn.

    Parameters
    ----------
    element_corner
        Element at (0, 0, 0).
    element_centre
        Element at (½, ½, ½).
    a_a
        Cubic lattice constant, Å.

    Raises
    ------
    ConfigurationError
        If the lattice constant is not positive.
    """
    if not a_a > 0:
        msg = f"a_a must be positive, got {a_a}"
        raise ConfigurationError(msg)
    return Atoms(
        [element_corner, element_centre],
        scaled_positions=[(0.0, 0.0, 0.0), (0.5, 0.5, 0.5)],
        cell=[a_a, a_a, a_a],
        pbc=True,
    )


def make_gamma_brass(*, a_a: float = GAMMA_BRASS_A_A) -> Atoms:
    """Build the 52-atom cubic cell of γ-brass Cu5Zn8 (I-43m, No. 217, Cu20Zn32).

    The 26-atom cluster of γ-brass is an inner tetrahedron (Zn 8c), an outer tetrahedron
    (Cu 8c), an octahedron (Cu 12e) and a cuboctahedron (Zn 24g); see
    :data:`GAMMA_BRASS_SITES`.

    Parameters
    ----------
    a_a
        Cubic lattice constant, Å (experiment: 8.866 Å).

    Returns
    -------
    ase.Atoms
        The conventional cell; ``info`` holds ``material`` ("Cu5Zn8"), ``lattice``
        ("gamma-brass"), ``composition``, ``description``, ``a_a``, ``spacegroup`` (217).

    Raises
    ------
    ConfigurationError
        If ``a_a`` is not positive.

    References
    ----------
    Gourdon et al., Inorg. Chem. 46, 251 (2007).
    """
    from ase.spacegroup import crystal

    if not a_a > 0:
        msg = f"a_a={a_a!r} must be a positive lattice constant in Å"
        raise ConfigurationError(msg)
    atoms = crystal(
        symbols=[site[1] for site in GAMMA_BRASS_SITES],
        basis=[site[3] for site in GAMMA_BRASS_SITES],
        spacegroup=217,
        cellpar=[a_a, a_a, a_a, 90.0, 90.0, 90.0],
        primitive_cell=False,
    )
    atoms.info.clear()
    atoms.info.update(
        {
            "material": "Cu5Zn8",
            "lattice": "gamma-brass",
            "composition": {"Cu": 5 / 13, "Zn": 8 / 13},
            "description": (
                f"gamma-brass Cu5Zn8, I-43m (No. 217), cI52 conventional cell, a = {a_a:.4f} Å "
                "(Gourdon et al., Inorg. Chem. 2007, 46, 251)"
            ),
            "a_a": float(a_a),
            "spacegroup": 217,
        }
    )
    return atoms


def symmetry_report(atoms: Atoms, *, symprec: float = 1e-3) -> dict[str, Any]:
    """Describe the symmetry and composition of a periodic structure.

    Parameters
    ----------
    atoms
        Periodic structure.
    symprec
        Distance tolerance of spglib, Å.

    Returns
    -------
    dict
        ``spacegroup_number`` (int, 0 if spglib finds none), ``spacegroup_symbol``,
        ``n_atoms``, ``formula`` (reduced), ``element_counts``, ``min_distance_a``,
        ``volume_per_atom_a3``, ``symprec``.
    """
    import spglib

    cell = (atoms.cell.tolist(), atoms.get_scaled_positions().tolist(), atoms.numbers.tolist())
    dataset = spglib.get_symmetry_dataset(cell, symprec=symprec)
    if dataset is None:
        number, symbol = 0, "unknown"
    else:
        number, symbol = int(dataset.number), str(dataset.international)
    return {
        "spacegroup_number": number,
        "spacegroup_symbol": symbol,
        "n_atoms": len(atoms),
        "formula": atoms.get_chemical_formula(mode="metal", empirical=True),
        "element_counts": element_counts(atoms),
        "min_distance_a": min_distance_a(atoms),
        "volume_per_atom_a3": float(atoms.get_volume() / len(atoms)),
        "symprec": float(symprec),
    }


def validate_gamma_brass(atoms: Atoms, *, symprec: float = 1e-3) -> dict[str, Any]:
    """Check that a structure is γ-brass Cu5Zn8.

    The checks are: space group I-43m (No. 217), Cu:Zn = 5:8 with 26 atoms per primitive cell
    (52 in the conventional cell), and a smallest interatomic distance above 2.3 Å.

    Parameters
    ----------
    atoms
        Candidate structure (conventional or primitive cell).
    symprec
        Distance tolerance of spglib, Å (loosen it for relaxed structures).

    Returns
    -------
    dict
        :func:`symmetry_report` plus ``valid`` (bool) and ``problems`` (list of str).
    """
    report = symmetry_report(atoms, symprec=symprec)
    problems: list[str] = []
    if report["spacegroup_number"] != 217:
        problems.append(
            f"space group {report['spacegroup_symbol']} ({report['spacegroup_number']}), "
            "expected I-43m (217)"
        )
    counts = report["element_counts"]
    n_cu, n_zn = counts.get("Cu", 0), counts.get("Zn", 0)
    if set(counts) != {"Cu", "Zn"} or n_cu * 8 != n_zn * 5 or len(atoms) % 26 != 0:
        problems.append(
            f"composition {counts}, expected Cu20Zn32 per cubic cell (Cu10Zn16 primitive)"
        )
    if report["min_distance_a"] < 2.3:
        problems.append(f"shortest distance {report['min_distance_a']:.3f} Å < 2.3 Å")
    report["valid"] = not problems
    report["problems"] = problems
    return report


def get_primitive(atoms: Atoms, *, tolerance_a: float = 0.01) -> Atoms:
    """Return the primitive cell of a crystal, keeping the Cartesian frame.

    Parameters
    ----------
    atoms
        Periodic structure.
    tolerance_a
        Site-matching tolerance, Å (pymatgen ``get_primitive_structure``).

    Returns
    -------
    ase.Atoms
        New primitive cell with ``info`` copied from ``atoms`` plus ``primitive=True``.
    """
    from pymatgen.io.ase import AseAtomsAdaptor

    structure = AseAtomsAdaptor.get_structure(copy_atoms(atoms))
    prim = structure.get_primitive_structure(tolerance=tolerance_a)
    new = AseAtomsAdaptor.get_atoms(prim)
    new.info = copy_atoms(atoms).info
    new.info["primitive"] = True
    new.wrap()
    logger.debug("primitive cell: %d -> %d atoms", len(atoms), len(new))
    return new


def primitive_gamma_brass(*, a_a: float = GAMMA_BRASS_A_A) -> Atoms:
    """Build the 26-atom primitive (body-centred) cell of γ-brass Cu5Zn8 (Cu10Zn16).

    Parameters
    ----------
    a_a
        Cubic lattice constant, Å.

    Returns
    -------
    ase.Atoms
        Primitive cell with the ``info`` of :func:`make_gamma_brass` and ``primitive=True``.
    """
    return get_primitive(make_gamma_brass(a_a=a_a))
