"""VASP input sets for metal bulks, slabs and the isolated Li atom, on atomate2's generator.

:class:`MetalSlabSetGenerator` is an atomate2 ``VaspInputGenerator`` whose INCAR and KPOINTS
follow from the structure it is given (bulk, slab or isolated atom, found from the vacuum
gaps as for GPAW, :func:`lithiophilic.potentials.dft.common.system_kind`) and from the
task (``relax``, ``static`` or ``nscf``):

* metals: Methfessel-Paxton smearing (ISMEAR 1) of width ``sigma_ev`` (0.2 eV in the
  ``fast`` preset, 0.1 eV in ``accurate``); energies are VASP's σ→0 extrapolation;
* k-points: a Γ-centred mesh of ``kpt_density_a`` points per Å⁻¹ (the GPAW backend's rule,
  :func:`~lithiophilic.potentials.dft.common.kpts_from_density`), exactly 1 along the vacuum;
  the isolated atom: Γ only;
* slabs: ISIF 2, selective dynamics from the fixed atoms (a ``FixAtoms`` constraint becomes
  the ``selective_dynamics`` site property when the slab is converted to a pymatgen
  ``Structure``), and the dipole correction (LDIPOL, IDIPOL 3, DIPOL at the slab's centre)
  for an asymmetric slab: one without a symmetry mapping its top face onto its bottom face,
  or one whose fixed atoms hold only one face (``fix="bottom"``: the relaxed top face and
  the bulk-like bottom face differ);
* bulk relaxations: ISIF 3 at the higher cutoff a cell relaxation needs
  (:func:`cell_relax_encut_ev`: at least 1.3 × the largest POTCAR ENMAX, against Pulay
  stress); every other run, whose energies are compared (bulk static after the cell
  relaxation, slabs, Li references), uses the one cutoff ``encut_ev``;
* the isolated Li atom: spin-polarised (ISPIN 2, MAGMOM 1), Γ only, Gaussian smearing
  0.01 eV, no symmetry, in a box of at least :data:`MIN_ATOM_BOX_A`;
* POTCARs (PBE_54): :data:`POTCAR_CHOICES`, written as ``POTCAR.spec`` when no POTCAR
  directory is configured.

LWAVE/LCHARG are on only where a later step reads them (``lwave``, ``lcharg``): the PDOS
static writes the CHGCAR its non-self-consistent DOS run reads (ICHARG 11); no step of our
flows reads a WAVECAR (a 150-atom slab's is gigabytes), so none is written by default.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from atomate2.vasp.sets.base import VaspInputGenerator
from pymatgen.io.ase import AseAtomsAdaptor
from pymatgen.io.vasp.inputs import Kpoints

from lithiophilic.errors import ConfigurationError
from lithiophilic.potentials.dft.common import (
    is_mirror_symmetric_slab,
    kpts_from_density,
    largest_gap_a,
    system_kind,
)

if TYPE_CHECKING:
    from pymatgen.core import Structure

__all__ = [
    "CELL_RELAX_ENCUT_FACTOR",
    "MIN_ATOM_BOX_A",
    "POTCAR_CHOICES",
    "POTCAR_ENMAX_EV",
    "POTCAR_FUNCTIONAL",
    "MetalSlabSetGenerator",
    "cell_relax_encut_ev",
    "is_asymmetric_slab",
    "max_enmax_ev",
    "potcar_enmax_ev",
]

#: POTCAR family of every input set.
POTCAR_FUNCTIONAL = "PBE_54"

#: POTCAR per element, VASP's recommended PAW datasets. Li_sv: the 1s shell is shallow
#: (~-50 eV) and polarised by neighbours, so it is treated as valence (3 electrons);
#: Cu: the standard 3d10 4s1 dataset (11 electrons, VASP's recommendation, as atomate2's
#: base set) rather than Cu_pv (17 electrons): the 3p states lie ~75 eV below E_F and do
#: not take part in Cu-Zn or Cu-Li bonding at ambient pressure, and 150-atom slabs cost
#: (17/11)^3 ≈ 3.7× more with Cu_pv; Zn: standard 3d10 4s2 (12 electrons). Override with
#: the ``potcar_choices`` setting, e.g. ``{"Cu": "Cu_pv"}``.
POTCAR_CHOICES: dict[str, str] = {
    "Li": "Li_sv",
    "Cu": "Cu",
    "Zn": "Zn",
    "Ag": "Ag",
    "Al": "Al",
    "Au": "Au",
    "Ga": "Ga_d",
    "Ge": "Ge_d",
    "In": "In_d",
    "Mg": "Mg",
    "Ni": "Ni",
    "Si": "Si",
    "Sn": "Sn_d",
}

#: ENMAX (eV) in the headers of the PBE_54 POTCARs we choose; used when the POTCAR files
#: are not configured here (with them, ENMAX is read from the files).
POTCAR_ENMAX_EV: dict[str, float] = {
    "Li_sv": 499.034,
    "Cu": 295.446,
    "Cu_pv": 368.648,
    "Zn": 276.723,
}

#: A cell relaxation uses at least this factor times the largest ENMAX (Pulay stress).
CELL_RELAX_ENCUT_FACTOR = 1.3

#: Smallest edge of the box of an isolated atom, Å.
MIN_ATOM_BOX_A = 12.0

#: Gaussian smearing of the isolated atom (integer occupations), eV.
ATOM_SIGMA_EV = 0.01

#: Base INCAR of every task (the task and the structure add the rest).
_BASE_INCAR: dict[str, Any] = {
    "PREC": "Accurate",
    "GGA": "PE",
    "ALGO": "Fast",
    "LASPH": True,
    "LMAXMIX": 4,  # d electrons (Cu, Zn): needed to read a CHGCAR back (ICHARG 11)
    "LREAL": False,  # one projection scheme for bulk, slabs and atoms (energies compared)
    "LORBIT": 11,
    "ISPIN": 1,
}

_TASKS = ("relax", "static", "nscf")


def potcar_enmax_ev(symbol: str, functional: str = POTCAR_FUNCTIONAL) -> float:
    """Return ENMAX (eV) of a POTCAR: from the file when ``PMG_VASP_PSP_DIR`` holds it.

    Raises
    ------
    ConfigurationError
        If the POTCAR is not configured here and its ENMAX is not in :data:`POTCAR_ENMAX_EV`.
    """
    import re

    from monty.io import zopen
    from pymatgen.core import SETTINGS
    from pymatgen.io.vasp.inputs import PotcarSingle

    root = os.environ.get("PMG_VASP_PSP_DIR") or SETTINGS.get("PMG_VASP_PSP_DIR")
    if root:
        subdir = PotcarSingle.functional_dir.get(functional, f"POT_GGA_PAW_{functional}")
        base = Path(root) / subdir
        for cand in (
            base / symbol / "POTCAR",
            base / symbol / "POTCAR.gz",
            base / f"POTCAR.{symbol}",
            base / f"POTCAR.{symbol}.gz",
        ):
            if cand.is_file():
                with zopen(cand, "rt", encoding="utf-8") as fh:
                    hit = re.search(r"ENMAX\s*=\s*([0-9.]+)", fh.read(20000))
                if hit is None:
                    msg = f"POTCAR {cand}: no ENMAX in its header"
                    raise ConfigurationError(msg)
                return float(hit.group(1))
    if symbol in POTCAR_ENMAX_EV:
        return POTCAR_ENMAX_EV[symbol]
    msg = (
        f"POTCAR {symbol!r}: ENMAX unknown without the POTCAR file; set PMG_VASP_PSP_DIR "
        f"or give encut_ev explicitly (known: {sorted(POTCAR_ENMAX_EV)})"
    )
    raise ConfigurationError(msg)


def max_enmax_ev(elements: Iterable[str], potcar: Mapping[str, str] | None = None) -> float:
    """Return the largest ENMAX (eV) of the POTCARs of ``elements``."""
    choices = {**POTCAR_CHOICES, **(potcar or {})}
    return max(potcar_enmax_ev(choices.get(el, el)) for el in elements)


def cell_relax_encut_ev(
    elements: Iterable[str], encut_ev: float, potcar: Mapping[str, str] | None = None
) -> float:
    """Return the cutoff of a cell relaxation: max(encut_ev, 1.3 × largest ENMAX), eV.

    Rounded up to 1 eV. The energy of the relaxed cell is then recomputed at ``encut_ev``.
    """
    enmax = max_enmax_ev(elements, potcar)
    return float(max(encut_ev, math.ceil(CELL_RELAX_ENCUT_FACTOR * enmax)))


def _fixed_mask(structure: Structure) -> np.ndarray:
    """Return True for every site held fixed in all three directions."""
    sd = structure.site_properties.get("selective_dynamics")
    if sd is None:
        return np.zeros(len(structure), dtype=bool)
    return np.array([not any(bool(x) for x in flags) for flags in sd], dtype=bool)


def is_asymmetric_slab(structure: Structure) -> bool:
    """Return True if a slab (vacuum along c) needs the dipole correction.

    Asymmetric: no symmetry operation maps the top face onto the bottom face (spglib), or
    the fixed atoms hold only one face (no free atom below the lowest fixed atom, or none
    above the highest), as with ``fix="bottom"``.
    """
    atoms = AseAtomsAdaptor.get_atoms(structure)
    atoms.constraints = []
    if not is_mirror_symmetric_slab(atoms, 2):
        return True
    fixed = _fixed_mask(structure)
    if not fixed.any() or fixed.all():
        return False
    _, gap_centre = largest_gap_a(atoms, 2)
    z = np.mod(atoms.get_scaled_positions(wrap=False)[:, 2] - gap_centre, 1.0)
    z_a = z * float(atoms.cell.lengths()[2])
    tol_a = 0.1
    below = (z_a[~fixed] < z_a[fixed].min() - tol_a).any()
    above = (z_a[~fixed] > z_a[fixed].max() + tol_a).any()
    return not (below and above)


def _slab_centre_frac(structure: Structure) -> float:
    """Return the fractional c coordinate of the slab's centre (across the vacuum gap)."""
    atoms = AseAtomsAdaptor.get_atoms(structure)
    _, gap_centre = largest_gap_a(atoms, 2)
    z = np.mod(atoms.get_scaled_positions(wrap=False)[:, 2] - gap_centre, 1.0)
    return round(float(np.mod(0.5 * (z.min() + z.max()) + gap_centre, 1.0)), 4)


@dataclass
class MetalSlabSetGenerator(VaspInputGenerator):
    """atomate2 input-set generator for metal bulks, slabs and isolated atoms.

    Parameters
    ----------
    task
        ``"relax"`` (IBRION 2, ISIF 3 for bulk, 2 otherwise), ``"static"`` (NSW 0) or ``"nscf"`` (non-self-consistent DOS from a CHGCAR: ICHARG 11,
        denser uniform mesh, Gaussian smearing ``dos_sigma_ev``, NEDOS points).
    encut_ev
        Plane-wave cutoff of every run whose energy is compared, eV.
    cell_relax_encut_ev
        Cutoff of bulk cell relaxations (ISIF 3), eV; ``None``: :func:`cell_relax_encut_ev`.
    kpt_density_a
        k-points per Å⁻¹ (1 along vacuum axes).
    dos_kpt_density_a
        k-point density of the ``nscf`` task, per Å⁻¹.
    ismear
        Smearing of metals (1: Methfessel-Paxton order 1).
    sigma_ev
        Smearing width of metals, eV.
    dos_sigma_ev
        Gaussian broadening of the ``nscf`` DOS (ISMEAR 0), eV.
    nedos
        Energy points of the ``nscf`` DOS.
    ediff_ev
        Electronic convergence, eV.
    nelm
        Electronic steps at most.
    fmax_ev_per_a
        Force threshold of relaxations (EDIFFG = -fmax), eV/Å.
    nsw
        Ionic steps of relaxations at most.
    spinpol
        ``"auto"`` (only an isolated atom), True or False.
    dipole_correction
        ``"auto"`` (asymmetric slabs, :func:`is_asymmetric_slab`), True or False.
    potcar_choices
        POTCAR symbols replacing :data:`POTCAR_CHOICES` for some elements.
    lwave
        Write the WAVECAR (a later step restarts from it).
    lcharg
        Write the CHGCAR (a later non-self-consistent run reads it).
    incar_overrides
        INCAR tags applied last (anything, e.g. ``{"NCORE": 8}``).
    mode
        Set by atomate2's ``NonSCFMaker``; only ``"uniform"`` is used.
    """

    task: Literal["relax", "static", "nscf"] = "static"
    encut_ev: float = 520.0
    cell_relax_encut_ev: float | None = None
    kpt_density_a: float = 3.5
    dos_kpt_density_a: float = 8.0
    ismear: int = 1
    sigma_ev: float = 0.2
    dos_sigma_ev: float = 0.1
    nedos: int = 3001
    ediff_ev: float = 1e-6
    nelm: int = 200
    fmax_ev_per_a: float = 0.05
    nsw: int = 200
    spinpol: bool | str = "auto"
    dipole_correction: bool | str = "auto"
    potcar_choices: dict[str, str] = field(default_factory=dict)
    lwave: bool = False
    lcharg: bool = False
    incar_overrides: dict[str, Any] = field(default_factory=dict)
    mode: str = "uniform"
    config_dict: dict = field(default_factory=dict)
    sort_structure: bool = True
    force_gamma: bool = True
    auto_ismear: bool = False
    auto_ispin: bool = False
    auto_metal_kpoints: bool = False
    inherit_incar: bool | list[str] = False

    def __post_init__(self) -> None:
        if self.task not in _TASKS:
            msg = f"task: {self.task!r} is not one of {list(_TASKS)}"
            raise ConfigurationError(msg)
        for name in ("encut_ev", "kpt_density_a", "dos_kpt_density_a", "sigma_ev", "dos_sigma_ev"):
            if not getattr(self, name) > 0:
                msg = f"{name} must be > 0, got {getattr(self, name)}"
                raise ConfigurationError(msg)
        if self.nedos < 100:
            msg = f"nedos must be >= 100, got {self.nedos}"
            raise ConfigurationError(msg)
        self.config_dict = {
            "INCAR": dict(_BASE_INCAR),
            "KPOINTS": {},
            "POTCAR_FUNCTIONAL": POTCAR_FUNCTIONAL,
            "POTCAR": {**POTCAR_CHOICES, **self.potcar_choices},
        }
        super().__post_init__()

    def get_input_set(
        self,
        structure: Structure | None = None,
        prev_dir: str | Path | None = None,
        potcar_spec: bool = False,
    ) -> Any:
        """Return the input set of ``structure``, sorted by species (one POTCAR per element).

        atomate2's generator declares ``structure`` as a plain field, which bypasses
        pymatgen's sorting; an SQS slab would get one POTCAR block per run of equal atoms.
        Site properties (selective dynamics) move with their sites.
        """
        if structure is not None and self.sort_structure:
            structure = structure.get_sorted_structure()
        return super().get_input_set(structure, prev_dir=prev_dir, potcar_spec=potcar_spec)

    # ----------------------------------------------------------------- structure
    def kind(self) -> str:
        """Return the system kind of the current structure: bulk, slab, wire or molecule."""
        return system_kind(self._atoms())

    def _atoms(self) -> Any:
        if self.structure is None:
            msg = "no structure is associated with the input set"
            raise ConfigurationError(msg)
        atoms = AseAtomsAdaptor.get_atoms(self.structure)
        atoms.constraints = []
        return atoms

    def _spin(self, kind: str) -> bool:
        isolated_atom = kind == "molecule" and len(self.structure or []) == 1
        return isolated_atom if self.spinpol == "auto" else bool(self.spinpol)

    def _dipole(self, kind: str) -> bool:
        if self.dipole_correction is False:
            return False
        if kind != "slab" or system_kind(self._atoms()) != "slab":
            if self.dipole_correction is True:
                msg = f"dipole_correction: needs a slab with vacuum along c, got a {kind} cell"
                raise ConfigurationError(msg)
            return False
        from lithiophilic.potentials.dft.common import vacuum_axes

        if vacuum_axes(self._atoms()) != [2]:
            msg = "dipole correction: the slab's vacuum must be along the third cell vector (c)"
            raise ConfigurationError(msg)
        assert self.structure is not None
        return self.dipole_correction is True or is_asymmetric_slab(self.structure)

    def _encut(self, kind: str) -> float:
        assert self.structure is not None
        elements = sorted({site.specie.symbol for site in self.structure})
        enmax = max_enmax_ev(elements, self.potcar_choices)
        if self.encut_ev < enmax:
            msg = (
                f"encut_ev: {self.encut_ev} eV is below the largest POTCAR ENMAX ({enmax} eV) "
                f"of {elements}; use at least that"
            )
            raise ConfigurationError(msg)
        if self.task == "relax" and kind == "bulk":
            if self.cell_relax_encut_ev is not None:
                return float(self.cell_relax_encut_ev)
            return cell_relax_encut_ev(elements, self.encut_ev, self.potcar_choices)
        return float(self.encut_ev)

    # ----------------------------------------------------------------- INCAR / KPOINTS
    @property
    def incar_updates(self) -> dict[str, Any]:
        """Return the INCAR tags of this task and structure (see the class docstring)."""
        kind = self.kind()
        n = len(self.structure or [])
        spin = self._spin(kind)
        atom = kind == "molecule"
        upd: dict[str, Any] = {
            "ENCUT": self._encut(kind),
            "EDIFF": float(self.ediff_ev),
            "NELM": int(self.nelm),
            "ISMEAR": 0 if atom else int(self.ismear),
            "SIGMA": ATOM_SIGMA_EV if atom else float(self.sigma_ev),
            "ISPIN": 2 if spin else 1,
            "MAGMOM": [1.0] * n if spin else None,
            "ISYM": 0 if atom else None,
            "LWAVE": bool(self.lwave),
            "LCHARG": bool(self.lcharg),
            "NSW": 0,
            "IBRION": -1,
            "ISIF": 2,
            "EDIFFG": None,
            "ICHARG": None,
            "NEDOS": None,
        }
        if self.task == "relax":
            upd.update(
                IBRION=2,
                NSW=int(self.nsw),
                ISIF=3 if kind == "bulk" else 2,
                EDIFFG=-abs(float(self.fmax_ev_per_a)),
            )
        if self.task == "nscf":
            upd.update(ICHARG=11, ISMEAR=0, SIGMA=float(self.dos_sigma_ev), NEDOS=int(self.nedos))
        if self._dipole(kind):
            upd.update(
                LDIPOL=True,
                IDIPOL=3,
                DIPOL=[0.5, 0.5, _slab_centre_frac(self.structure)],  # type: ignore[arg-type]
            )
        upd.update(self.incar_overrides)
        return upd

    @property
    def kpoints_updates(self) -> Kpoints:
        """Return a Γ-centred mesh from the k-point density (1 along vacuum; Γ only for an atom)."""
        atoms = self._atoms()
        kind = system_kind(atoms)
        if kind == "molecule":
            edge = float(min(atoms.cell.lengths()))
            if edge < MIN_ATOM_BOX_A:
                msg = f"isolated atom: box edge {edge:.1f} Å is below {MIN_ATOM_BOX_A} Å"
                raise ConfigurationError(msg)
            return Kpoints.gamma_automatic((1, 1, 1))
        density = self.dos_kpt_density_a if self.task == "nscf" else self.kpt_density_a
        kpts = kpts_from_density(atoms, float(density))
        return Kpoints.gamma_automatic((kpts[0], kpts[1], kpts[2]))
