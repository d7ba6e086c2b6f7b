"""Distilled LAMMPS potentials shipped as package data, registered in the LAMMPS-potential registry.

``licuzn-pod``
    POD potential for Li–Cu–Zn (types Li, Cu, Zn) distilled from SevenNet-0 with active
    learning on Li-on-(111) MD; the production potential of the Li-aggregation MD.  Its
    ``provenance.json`` records the teacher and its version, the training-data hash, the fit
    settings, the active-learning rounds and the held-out errors
    (``lithiophilic potentials info licuzn-pod`` prints it).

The files live in ``lithiophilic/potentials/data/<name>/`` (``param.pod``,
``coefficients.pod``, ``provenance.json``) and are installed with the wheel.
``lithiophilic potentials fit --install`` replaces them only after the new files load in LAMMPS.
"""

from __future__ import annotations

import functools
from pathlib import Path

from lithiophilic.potentials.lammps import LammpsPotential, register_lammps_potential

__all__ = ["LICUZN_POD", "SHIPPED_POTENTIALS", "shipped_potential_dir"]

#: Name of the production Li–Cu–Zn potential.
LICUZN_POD = "licuzn-pod"

#: Shipped distilled potentials: name -> one-line description.
SHIPPED_POTENTIALS: dict[str, str] = {
    LICUZN_POD: "POD (2+3-body, rcut 5 Å) distilled from SevenNet-0 for Li on Cu and Cu-Zn surfaces",
}

_DATA_DIR = Path(__file__).resolve().parent / "data"


def shipped_potential_dir(name: str) -> Path:
    """Return the package-data directory of the shipped potential ``name``."""
    return _DATA_DIR / name


def _loader(name: str) -> LammpsPotential:
    from lithiophilic.potentials.pod import load_pod_potential

    return load_pod_potential(
        shipped_potential_dir(name), name=name, description=SHIPPED_POTENTIALS[name]
    )


for _name in SHIPPED_POTENTIALS:
    register_lammps_potential(_name, functools.partial(_loader, _name))
