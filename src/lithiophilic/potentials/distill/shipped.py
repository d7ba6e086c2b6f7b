"""Distilled LAMMPS potentials shipped as package data, registered in the LAMMPS-potential registry.

``licuzn-pod``
    POD potential for Li–Cu–Zn (types Li, Cu, Zn) distilled from SevenNet-0 with active
    learning on Li-on-(111) MD; the cross-check of the Li-aggregation MD.  Its
    ``provenance.json`` records the teacher and its version, the training-data hash, the fit
    settings, the active-learning rounds and the held-out errors
    (``lithiophilic potentials info licuzn-pod`` prints it).
``licuzn-eam``
    EAM (``eam/alloy``: ZBL core + spline pairs, exponential densities, polynomial embedding)
    distilled from the same teacher with its own active learning: ~50x faster than the POD,
    for long and large aggregation runs.
``licuzn-eam-li3b``
    ``licuzn-eam`` plus a UF3 Li–Li correction (``hybrid/overlay``; Li–Li pair and
    Li–Li–Li/Cu/Zn three-body terms, zero for fewer than two Li) fitted to SevenNet-0's
    interaction residuals: the production potential of the Li-aggregation MD
    (``defaults.MD_POTENTIAL``, issue 19 item 5).

The files live in ``lithiophilic/potentials/data/<name>/`` (POD: ``param.pod``,
``coefficients.pod``; EAM: ``potential.eam.alloy``, ``model.json``; both ``provenance.json``)
and are installed with the wheel.
``lithiophilic potentials fit --install`` replaces them only after the new files load in LAMMPS.
"""

from __future__ import annotations

import functools
from pathlib import Path

from lithiophilic.potentials.lammps import LammpsPotential, register_lammps_potential

__all__ = [
    "LICUZN_EAM",
    "LICUZN_EAM_LI3B",
    "LICUZN_EAM_LI3B_VERSION",
    "LICUZN_POD",
    "SHIPPED_POTENTIALS",
    "shipped_potential_dir",
]

#: Name of the accurate Li–Cu–Zn potential.
LICUZN_POD = "licuzn-pod"
#: Name of the fast Li–Cu–Zn potential.
LICUZN_EAM = "licuzn-eam"
#: The fast potential plus the UF3 Li–Li correction (issue 19 item 5); the aggregation MD's.
LICUZN_EAM_LI3B = "licuzn-eam-li3b"
#: Version of the correction's coefficients (``provenance.json`` ``version``; 1 = the first fit
#: on static pairs/trimers/islands, 2 = the refit with MD frames).  MD cache keys hash the
#: potential's files, so documents of one fit are never reused for another.
LICUZN_EAM_LI3B_VERSION = 2

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


def _licuzn_eam_li3b() -> LammpsPotential:
    from lithiophilic.potentials.distill.correction import load_corrected_potential

    return load_corrected_potential(
        shipped_potential_dir(LICUZN_EAM_LI3B),
        name=LICUZN_EAM_LI3B,
        description=(
            "v2: licuzn-eam + UF3 Li-Li correction (Li-Li pair, Li-Li-Li/Cu/Zn "
            "3-body) fitted to SevenNet-0 interaction residuals of static Li pairs/trimers and "
            "600/300 K MD frames, zero for < 2 Li; pairs and trimers within 0.021 eV (Cu) and "
            "0.015 eV (held-out alloy) of the teacher (Cu irreducible 3-body term 0.060 eV); Li "
            "forces in held-out 600 K MD frames 0.038-0.059 eV/A on Cu (licuzn-eam "
            "0.049-0.054) and 0.055-0.081 on the alloy (licuzn-eam 0.051-0.069); 100 ps "
            "stable on 1,058 atoms at 300/600 K"
        ),
    )


# v1 results (static/relax with the ASE LAMMPS calculator) are not reused for v2: the version
# is in the cache key (MD keys hash the files anyway)
register_lammps_potential(
    LICUZN_EAM_LI3B,
    _licuzn_eam_li3b,
    key_extras={"potential_version": LICUZN_EAM_LI3B_VERSION},
)
