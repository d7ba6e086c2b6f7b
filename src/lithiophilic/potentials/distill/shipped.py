"""Distilled LAMMPS potentials shipped as package data, registered in the LAMMPS-potential registry.

``licuzn-pod``
    POD potential for Li–Cu–Zn (types Li, Cu, Zn) distilled from SevenNet-0 with active
    learning on Li-on-(111) MD; the production potential of the Li-aggregation MD.  Its
    ``provenance.json`` records the teacher and its version, the training-data hash, the fit
    settings, the active-learning rounds and the held-out errors
    (``lithiophilic potentials info licuzn-pod`` prints it).
``licuzn-eam``
    EAM (``eam/alloy``: ZBL core + spline pairs, exponential densities, polynomial embedding)
    distilled from the same teacher with its own active learning: ~50x faster than the POD,
    for long and large aggregation runs.

The files live in ``lithiophilic/potentials/data/<name>/`` (POD: ``param.pod``,
``coefficients.pod``; EAM: ``potential.eam.alloy``, ``model.json``; both ``provenance.json``)
and are installed with the wheel.
``lithiophilic potentials fit --install`` replaces them only after the new files load in LAMMPS.
"""

from __future__ import annotations

import functools
from pathlib import Path

from lithiophilic.potentials.lammps import LammpsPotential, register_lammps_potential

__all__ = ["LICUZN_EAM", "LICUZN_POD", "SHIPPED_POTENTIALS", "shipped_potential_dir"]

#: Name of the accurate Li–Cu–Zn potential.
LICUZN_POD = "licuzn-pod"
#: Name of the fast Li–Cu–Zn potential.
LICUZN_EAM = "licuzn-eam"

#: Shipped distilled potentials: name -> one-line description.
SHIPPED_POTENTIALS: dict[str, str] = {
    LICUZN_POD: "POD (2+3-body, rcut 5 Å) distilled from SevenNet-0 for Li on Cu and Cu-Zn surfaces",
    LICUZN_EAM: "EAM (eam/alloy, ZBL + splines, rcut 5 Å) distilled from SevenNet-0; fast",
}

_DATA_DIR = Path(__file__).resolve().parents[1] / "data"


def shipped_potential_dir(name: str) -> Path:
    """Return the package-data directory of the shipped potential ``name``."""
    return _DATA_DIR / name


def _loader(name: str) -> LammpsPotential:
    from lithiophilic.potentials.distill.models import load_fitted_potential

    return load_fitted_potential(
        shipped_potential_dir(name), name=name, description=SHIPPED_POTENTIALS[name]
    )


for _name in SHIPPED_POTENTIALS:
    register_lammps_potential(_name, functools.partial(_loader, _name))
