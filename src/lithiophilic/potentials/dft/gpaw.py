"""GPAW backend (``gpaw``): plane waves, PBE, Fermi-Dirac smearing, serial or MPI.

The registry factory returns a :class:`GpawCalculator`, an ASE calculator that

* builds GPAW's plane-wave calculator from a few named settings (cutoff, k-point density,
  smearing, spin, dipole correction; presets ``fast`` and ``accurate``, and ``lcao-dzp``
  for cheap single points of large cells);
* runs in the calling process when ``nprocs`` is 1 (keeping GPAW's wave functions between
  the steps of a relaxation), or, when ``nprocs`` > 1, launches
  ``mpiexec -n N gpaw python _gpaw_worker.py RUN_DIR`` for an evaluation (energy, forces
  and, for bulk, stress in one launch) and reads the results back;
* with ``nprocs`` > 1 runs a whole relaxation in one launch
  (:meth:`GpawCalculator.relax_in_one_launch`, used by ``run_ase_calc``): the ASE optimizer
  runs on every rank beside one GPAW calculator, so the wave functions carry over between
  steps;
* keeps GPAW's text log in its directory (``gpaw.txt``; MPI runs: ``gpaw-mpi/step-NNN.txt``
  per evaluation, ``gpaw-mpi/relax.txt`` and ``relax.traj`` for a relaxation);
* turns an SCF that does not converge into :class:`~lithiophilic.errors.NotConvergedError`
  (never a number).

So :func:`lithiophilic.workflows.base.run_ase_calc` and every flow use GPAW through
``CalculatorSpec("gpaw", {...})`` unchanged.

:func:`gpaw_pdos` (SCF, then a fixed-density run on a denser k-mesh, then projections) and
:func:`gpaw_convergence` (energy change per step of cutoff, k-points or smearing) use the
same settings and launcher. The launcher, the worker protocol and the installation check are
in :mod:`lithiophilic.potentials.dft.gpaw_mpi`, the presets, defaults and settings check in
:mod:`lithiophilic.potentials.dft.gpaw_settings` (their public names are importable from here).

References
----------
Mortensen et al., J. Chem. Phys. 160, 092503 (2024) (GPAW).
Perdew, Burke and Ernzerhof, Phys. Rev. Lett. 77, 3865 (1996) (PBE).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from ase.calculators.calculator import Calculator, all_changes

from lithiophilic.errors import (
    CalculationFailed,
    ConfigurationError,
    NotConvergedError,
)
from lithiophilic.potentials.dft.common import (
    dft_choices,
    frozen_mesh_settings,
    kpts_from_density,
    largest_gap_a,
    start_calculation,
)
from lithiophilic.potentials.dft.gpaw_mpi import (
    INSTALL_HINT,
    MPIEXEC_ENV,
    check_gpaw_installation,
    default_nprocs,
    find_mpiexec,
    needs_subprocess,
    relax_in_one_launch,
    relax_task,
    run_mpi,
)
from lithiophilic.potentials.dft.gpaw_settings import (
    EIGENSOLVERS,
    GPAW_DEFAULTS,
    GPAW_PRESETS,
    RUNTIME_KEYS,
    resolve_gpaw_settings,
)
from lithiophilic.potentials.registry import CalculatorBackend, register_calculator

if TYPE_CHECKING:
    from ase import Atoms

__all__ = [
    "EIGENSOLVERS",
    "GPAW_DEFAULTS",
    "GPAW_PRESETS",
    "INSTALL_HINT",
    "MPIEXEC_ENV",
    "GpawCalculator",
    "check_gpaw_installation",
    "default_nprocs",
    "find_mpiexec",
    "gpaw_convergence",
    "gpaw_pdos",
    "make_gpaw",
    "resolve_gpaw_settings",
    "run_worker_task",
]

logger = logging.getLogger(__name__)


def _check_installation_for(settings: Mapping[str, Any]) -> None:
    """Run :func:`check_gpaw_installation` for the ranks and launcher ``settings`` ask for."""
    nprocs = int(settings.get("nprocs") or default_nprocs())
    check_gpaw_installation(nprocs=nprocs, mpiexec=settings.get("mpiexec"))


# --------------------------------------------------------------------------- GPAW set-up
def _prepare(atoms: Atoms, settings: Mapping[str, Any]) -> tuple[Atoms, dict[str, Any]]:
    """Return the Atoms GPAW sees and the GPAW keyword arguments (plus a summary).

    Slabs with a dipole correction get ``pbc`` False along the vacuum axis and are shifted
    so the vacuum gap sits at the cell boundary (a rigid translation: energies and forces
    are unchanged).
    """
    calc_atoms = atoms.copy()
    calc_atoms.calc = None
    calc_atoms.constraints = []
    choices = dft_choices(atoms, settings, "gpaw")
    kpts, spinpol, dipole = choices["kpts"], choices["spinpol"], choices["dipole_correction"]
    isolated_atom = choices["isolated_atom"]
    if dipole:
        _, centre = largest_gap_a(atoms, 2)
        scaled = calc_atoms.get_scaled_positions(wrap=False)
        scaled[:, 2] = np.mod(scaled[:, 2] - centre, 1.0)
        calc_atoms.set_scaled_positions(scaled)
        calc_atoms.pbc = [True, True, False]
    width = float(settings["smearing_ev"])
    occupations: dict[str, Any] = {"name": "fermi-dirac", "width": width}
    lcao = settings.get("mode", "pw") == "lcao"
    kwargs: dict[str, Any] = {
        "mode": {"name": "lcao"} if lcao else {"name": "pw", "ecut": float(settings["ecut_ev"])},
        "xc": settings["xc"],
        "kpts": _kpts(kpts, settings.get("kpts_gamma")),
        "occupations": occupations,
        "spinpol": spinpol,
        "maxiter": int(settings["maxiter"]),
        "convergence": {
            "energy": float(settings["energy_tol_ev_per_electron"]),
            "density": float(settings["density_tol"]),
            "eigenstates": float(settings["eigenstates_tol_ev2_per_electron"]),
        },
    }
    if settings.get("eigensolver"):
        kwargs["eigensolver"] = dict(EIGENSOLVERS[settings["eigensolver"]])
    if settings.get("grid_spacing_a") is not None:
        kwargs["h"] = float(settings["grid_spacing_a"])
    if lcao:
        kwargs["basis"] = settings["basis"]
        kwargs["convergence"].pop("eigenstates")  # no iterative eigensolver in LCAO
    if isolated_atom and spinpol:
        # Hund's-rule moment, integer occupations (a free atom is not a metal)
        kwargs["hund"] = True
        kwargs["occupations"] = {"name": "fermi-dirac", "width": 0.0, "fixmagmom": True}
    if dipole:
        kwargs["poissonsolver"] = {"dipolelayer": "xy"}
    summary = {
        **{k: v for k, v in choices.items() if k != "isolated_atom"},
        "hund": bool(kwargs.get("hund", False)),
    }
    return calc_atoms, {"kwargs": kwargs, "summary": summary}


def _kpts(size: list[int], gamma: list[bool] | None) -> dict[str, Any]:
    """Return GPAW's k-points: Γ-centred, or per axis (``kpts_gamma``) Γ-centred or Monkhorst-Pack."""
    if gamma is None or all(gamma):
        return {"size": size, "gamma": True}
    from ase.dft.kpoints import monkhorst_pack

    offset = [0.5 / n if g and n % 2 == 0 else 0.0 for n, g in zip(size, gamma, strict=True)]
    return {"kpts": (monkhorst_pack(size) + np.array(offset)).tolist()}


def _new_gpaw(kwargs: Mapping[str, Any], txt: str | Path) -> Any:
    from gpaw import GPAW

    return GPAW(**kwargs, txt=str(txt))


def _not_converged(
    exc: Exception, settings: Mapping[str, Any], log: Path | str
) -> NotConvergedError:
    msg = (
        f"GPAW SCF did not converge within maxiter={settings['maxiter']} iterations "
        f"(energy tol {settings['energy_tol_ev_per_electron']} eV/electron, density tol "
        f"{settings['density_tol']}); see {log}. Raise maxiter, increase smearing_ev or "
        f"check the structure ({type(exc).__name__}: {exc})"
    )
    return NotConvergedError(msg)


def pulay_stress_ev_per_a3(gpaw: Any, settings: Mapping[str, Any], volume_a3: float) -> float:
    """Return the Pulay correction added to the diagonal of GPAW's plane-wave stress, eV/Å³.

    Δσ = (2/3)·E_cut·(dE/dE_cut)/V, dE/dE_cut estimated from the PAW setups (what GPAW's
    older code did with ``dedecut='estimate'``; the current code has no correction).  At
    350 eV it moves the zero of the Cu stress from a = 3.60 Å to the E(V) minimum near
    3.66 Å; without it cell relaxations at moderate cutoffs shrink the lattice.
    """
    from ase.units import Ha

    ecut_ev = float(settings["ecut_ev"])
    dedecut = float(gpaw.setups.estimate_dedecut(ecut_ev / Ha))
    return dedecut * 2.0 / 3.0 * ecut_ev / volume_a3


def _compute(
    calc_atoms: Atoms,
    gpaw: Any,
    properties: Sequence[str],
    settings: Mapping[str, Any],
    log: Path | str,
) -> dict[str, Any]:
    """Run GPAW on ``calc_atoms`` and return the requested properties as plain arrays."""
    from gpaw import KohnShamConvergenceError

    calc_atoms.calc = gpaw
    try:
        results: dict[str, Any] = {
            "energy": float(calc_atoms.get_potential_energy()),
            "free_energy": float(calc_atoms.get_potential_energy(force_consistent=True)),
        }
        if "forces" in properties:
            results["forces"] = np.asarray(calc_atoms.get_forces(), dtype=float)
        if "stress" in properties:
            stress = np.asarray(calc_atoms.get_stress(), dtype=float)
            stress[:3] += pulay_stress_ev_per_a3(gpaw, settings, calc_atoms.get_volume())
            results["stress"] = stress
        results["fermi_level_ev"] = float(gpaw.get_fermi_level())
        results["magmom"] = (
            float(calc_atoms.get_magnetic_moment()) if gpaw.parameters.spinpol else 0.0
        )
    except KohnShamConvergenceError as exc:
        raise _not_converged(exc, settings, log) from exc
    for key in ("energy", "free_energy"):
        if not math.isfinite(results[key]):
            msg = f"GPAW returned a non-finite {key} ({results[key]}); see {log}"
            raise CalculationFailed(msg)
    return results


# --------------------------------------------------------------------------- worker task
def run_worker_task(
    task: str,
    atoms: Atoms,
    settings: Mapping[str, Any],
    options: Mapping[str, Any],
    run_dir: Path,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Run one task in this process (called by the MPI worker, or directly when serial)."""
    if task == "static":
        calc_atoms, prep = _prepare(atoms, settings)
        txt = run_dir / str(options.get("txt", settings["txt"]))
        gpaw = _new_gpaw(prep["kwargs"], txt)
        results = _compute(calc_atoms, gpaw, options["properties"], settings, txt)
        arrays: dict[str, np.ndarray] = {
            k: results.pop(k) for k in ("forces", "stress") if k in results
        }
        return {**results, **prep["summary"]}, arrays
    if task == "pdos":
        return _pdos_inprocess(atoms, settings, options, run_dir)
    if task == "relax":
        return relax_task(atoms, settings, options, run_dir, GpawCalculator)
    msg = f"unknown GPAW task {task!r}"
    raise ConfigurationError(msg)


# --------------------------------------------------------------------------- ASE calculator
class GpawCalculator(Calculator):
    """ASE calculator running GPAW in this process or under MPI (see the module docstring).

    Parameters
    ----------
    directory
        Run directory (text logs; MPI input/output files in ``gpaw-mpi/``).
    **settings
        See :data:`GPAW_DEFAULTS` and :data:`GPAW_PRESETS`.
    """

    implemented_properties = ["energy", "free_energy", "forces", "stress"]  # noqa: RUF012
    name = "gpaw"

    def __init__(self, *, directory: str | Path = ".", **settings: Any) -> None:
        super().__init__(directory=str(directory))
        self.settings = resolve_gpaw_settings(settings)
        self.nprocs = int(self.settings["nprocs"] or default_nprocs())
        self.last_summary: dict[str, Any] = {}
        self.last_relaxation: dict[str, Any] = {}
        #: Evaluations (SCF cycles) run by this calculator.
        self.n_calculations = 0
        #: True inside the MPI worker: GPAW runs in this process on all ranks.
        self.in_mpi_worker = False
        self._gpaw: Any = None
        self._key: Any = None
        self._step = 0

    def calculate(
        self,
        atoms: Atoms | None = None,
        properties: Sequence[str] = ("energy",),
        system_changes: Sequence[str] = tuple(all_changes),
    ) -> None:
        """Compute energy and forces (and the stress of bulk cells) of ``atoms``.

        With ``energy_only`` set (:func:`lithiophilic.workflows.base.run_ase_calc` with
        ``forces=False``) and no forces asked for, the energy alone.

        Raises
        ------
        ase.calculators.calculator.PropertyNotImplementedError
            For a stress in LCAO mode (which has none) or of a cell that is not bulk, before
            any SCF: asking for it after an energy must not start a second launch.
        """
        from ase.calculators.calculator import PropertyNotImplementedError

        lcao = self.settings.get("mode", "pw") == "lcao"
        if lcao and "stress" in properties:
            msg = "GPAW LCAO computes no stress"
            raise PropertyNotImplementedError(msg)
        kind = start_calculation(self, atoms, properties, system_changes, "GPAW")
        assert self.atoms is not None
        stress = kind == "bulk" and not lcao
        forces = "forces" in properties or not getattr(self, "energy_only", False)
        wanted = ["energy"] + (["forces"] if forces else []) + (["stress"] if stress else [])
        run_dir = Path(self.directory)
        self.n_calculations += 1
        if needs_subprocess(self.nprocs) and not self.in_mpi_worker:
            self._step += 1
            res, arrays = run_mpi(
                "static",
                self.atoms,
                {
                    **frozen_mesh_settings(self, self.atoms, self.settings, "gpaw"),
                    "nprocs": self.nprocs,
                },
                run_dir / "gpaw-mpi",
                {"properties": wanted, "txt": f"step-{self._step:03d}.txt"},
            )
            res.update(arrays)
        else:
            res = self._serial(wanted, run_dir)
        self.last_summary = {
            k: res[k]
            for k in ("system_kind", "kpts", "spinpol", "dipole_correction", "hund")
            if k in res
        }
        self.results = {
            k: res[k] for k in ("energy", "free_energy", "forces", "stress") if k in res
        }

    @property
    def relaxes_in_one_launch(self) -> bool:
        """Whether :meth:`relax_in_one_launch` should run relaxations (GPAW under MPI)."""
        return needs_subprocess(self.nprocs) and not self.in_mpi_worker

    def relax_in_one_launch(self, atoms: Atoms, **relax: Any) -> tuple[bool, int]:
        """Run a whole relaxation of ``atoms`` in one ``mpiexec`` launch.

        See :func:`lithiophilic.potentials.dft.gpaw_mpi.relax_in_one_launch`. Returns
        ``(converged, n_steps)``; ``atoms`` ends at the final structure with this
        calculator's results set for it.
        """
        return relax_in_one_launch(self, atoms, **relax)

    def _serial(self, wanted: list[str], run_dir: Path) -> dict[str, Any]:
        assert self.atoms is not None
        calc_atoms, prep = _prepare(
            self.atoms, frozen_mesh_settings(self, self.atoms, self.settings, "gpaw")
        )
        key = (tuple(calc_atoms.numbers), json.dumps(prep["kwargs"], sort_keys=True))
        txt = run_dir / str(self.settings["txt"])
        if self._gpaw is None or key != self._key:
            run_dir.mkdir(parents=True, exist_ok=True)
            self._gpaw = _new_gpaw(prep["kwargs"], txt)
            self._key = key
        try:
            res = _compute(calc_atoms, self._gpaw, wanted, self.settings, txt)
        except NotConvergedError:
            self._gpaw = None  # never continue from an unconverged state
            raise
        return {**res, **prep["summary"]}


def make_gpaw(**settings: Any) -> GpawCalculator:
    """Return a :class:`GpawCalculator` (the ``gpaw`` registry factory).

    Raises
    ------
    CalculatorUnavailableError
        If GPAW, its datasets or (``nprocs`` > 1) OpenMPI's launcher are missing.
    """
    resolved = resolve_gpaw_settings(settings)
    nprocs = int(resolved["nprocs"] or default_nprocs())
    check_gpaw_installation(nprocs=nprocs, mpiexec=resolved["mpiexec"])
    return GpawCalculator(**settings)


# --------------------------------------------------------------------------- PDOS
#: Angular momenta projected by :func:`gpaw_pdos`.
L_LABELS = ("s", "p", "d")


def _pdos_inprocess(
    atoms: Atoms,
    settings: Mapping[str, Any],
    options: Mapping[str, Any],
    run_dir: Path,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    from gpaw import KohnShamConvergenceError

    calc_atoms, prep = _prepare(atoms, settings)
    txt = run_dir / "gpaw-scf.txt"
    dos_kpts = options.get("dos_kpts") or kpts_from_density(
        atoms, float(options["dos_kpt_density_a"])
    )
    if prep["summary"]["system_kind"] == "molecule":
        dos_kpts = [1, 1, 1]
    # converge every occupied band plus about one band per atom above them (E_F + ~2 eV in a
    # metal); the few extra bands only help the eigensolver.
    n_extra_conv = max(4, len(atoms))
    n_pad = max(4, len(atoms) // 2)
    same_mesh = [int(n) for n in dos_kpts] == [int(n) for n in prep["summary"]["kpts"]] and (
        not settings.get("kpts_gamma")  # the DOS mesh is Γ-centred
    )
    kwargs = dict(prep["kwargs"])
    if same_mesh:
        # the DOS mesh is the SCF mesh: converge the extra bands in the SCF itself and take
        # the DOS from it (a fixed-density run on the same mesh would repeat the SCF's work)
        kwargs["nbands"] = -(n_extra_conv + n_pad)  # GPAW: <= 0 means occupied + |n|
        kwargs["convergence"] = {**kwargs["convergence"], "bands": -n_pad}
    gpaw = _new_gpaw(kwargs, txt)
    scf = _compute(calc_atoms, gpaw, [], settings, txt)
    nval = float(gpaw.get_number_of_electrons())
    if same_mesh:
        nscf, dos_run = gpaw, "scf"
        nbands = int(gpaw.get_number_of_bands())
        n_conv = nbands - n_pad
    else:
        nscf_txt = run_dir / "gpaw-dos.txt"
        # Eigenvalue residuals of 1e-6 eV^2/electron are far below the 0.1 eV broadening and
        # take ~3x fewer iterations than GPAW's SCF default (4e-8), which dominated the cost
        # in 26-atom cells.
        n_conv = math.ceil(nval / 2) + n_extra_conv
        nbands = n_conv + n_pad
        try:
            nscf = gpaw.fixed_density(
                kpts={"size": list(dos_kpts), "gamma": True},
                nbands=nbands,
                convergence={
                    "bands": n_conv,
                    "eigenstates": float(options.get("eigenstates_tol", 1e-6)),
                },
                txt=str(nscf_txt),
            )
            nscf.get_potential_energy()
        except KohnShamConvergenceError as exc:
            raise _not_converged(exc, settings, nscf_txt) from exc
        dos_run = "fixed-density"
    fermi = float(nscf.get_fermi_level())
    n_k, n_s = len(nscf.get_ibz_k_points()), nscf.get_number_of_spins()
    first_unconverged = min(
        float(nscf.get_eigenvalues(kpt=k, spin=s_)[n_conv]) for k in range(n_k) for s_ in range(n_s)
    )
    dos = nscf.dos(shift_fermi_level=True)
    e_min, e_max = options["energy_window_ev"]
    energies = np.linspace(float(e_min), float(e_max), int(options["n_points"]))
    width = float(options["width_ev"])
    total = np.asarray(dos.raw_dos(energies, width=width), dtype=float)
    pdos = np.zeros((len(atoms), len(L_LABELS), len(energies)))
    sphere_radius_a: dict[str, float] = {}
    for a in range(len(atoms)):
        sphere_radius_a[atoms[a].symbol] = _sphere_radius_bohr(dos.setups[a]) * BOHR_A
        for ell in range(len(L_LABELS)):
            pdos[a, ell] = _sphere_pdos(dos, a, ell, energies, width)
    results = {
        "energy_ev": scf["energy"],
        "fermi_level_ev": scf["fermi_level_ev"],
        "scf_kpts": prep["summary"]["kpts"],
        "dos_kpts": [int(n) for n in dos_kpts],
        "nbands": nbands,
        "n_converged_bands": n_conv,
        "dos_run": dos_run,
        "dos_converged_up_to_ev": first_unconverged - fermi,
        "n_valence_electrons": nval,
        "width_ev": width,
        "sphere_radius_a": sphere_radius_a,
        **{k: v for k, v in prep["summary"].items() if k != "kpts"},
    }
    return results, {"energies_ev": energies, "total_dos": total, "pdos": pdos}


#: Bohr radius, Å (the unit of GPAW's setup radial grids).
BOHR_A = 0.52917721067


def _sphere_radius_bohr(setup: Any) -> float:
    """Augmentation-sphere radius of a PAW setup (largest partial-wave cutoff), Bohr."""
    return float(max(setup.data.rcut_j))


def _sphere_pdos(dos: Any, a: int, ell: int, energies: np.ndarray, width: float) -> np.ndarray:
    """l-resolved DOS of atom ``a``: each state's charge in channel ``ell`` inside the sphere.

    The weight of state n is sum_m sum_jj' conj(P_n,jm) O_jj' P_n,j'm with
    O_jj' = int_0^r_c phi_j phi_j' r^2 dr over the all-electron partial waves (bound and
    unbound) of angular momentum ``ell``, r_c the augmentation-sphere radius: the state's
    charge of that l inside the sphere, between 0 and 1 (as VASP's LORBIT projections inside
    a Wigner-Seitz radius).  GPAW's own ``raw_pdos`` sums |P|^2 over the bound projectors
    only; for diffuse, barely bound partial waves (Cu and Zn 4p) that weight is not a charge:
    it gave a Cu p-DOS at E_F twice the total DOS.
    """
    setup = dos.setups[a]
    data = setup.data
    rgd = data.rgd
    gc = int(rgd.ceil(_sphere_radius_bohr(setup)))
    r2dr = rgd.r_g[:gc] ** 2 * rgd.dr_g[:gc]
    js = [j for j, lj in enumerate(setup.l_j) if lj == ell]
    if not js:
        return np.zeros(len(energies))
    phi = np.array([data.phi_jg[j][:gc] for j in js])
    overlap = (phi * r2dr) @ phi.T
    offsets = np.cumsum([0] + [2 * lj + 1 for lj in setup.l_j])
    calc = dos.wfs.calc
    kd, bd = calc.wfs.kd, calc.wfs.bd
    weight_kns = np.zeros((kd.nibzkpts, bd.nbands, kd.nspins))
    bands = bd.get_slice()
    for wf in calc.wfs.kpt_u:
        p_ani = wf.projections
        if a not in p_ani:
            continue
        p_ni = np.asarray(p_ani[a])
        w_n = np.zeros(p_ni.shape[0])
        for m in range(2 * ell + 1):
            p_nj = p_ni[:, [offsets[j] + m for j in js]]
            w_n += np.einsum("ni,ij,nj->n", p_nj.conj(), overlap, p_nj).real
        weight_kns[wf.k, bands, wf.s] = w_n
    calc.world.sum(weight_kns)
    out = sum(
        dos.calculate(energies, eig_kn, weight_nk.T, width=width)
        for eig_kn, weight_nk in zip(dos.eig_skn, weight_kns.T, strict=True)
    )
    return np.asarray(out, dtype=float) * dos.degeneracy


def gpaw_pdos(
    atoms: Atoms,
    *,
    settings: Mapping[str, Any] | None = None,
    dos_kpt_density_a: float = 8.0,
    dos_kpts: Sequence[int] | None = None,
    width_ev: float = 0.1,
    energy_window_ev: tuple[float, float] = (-10.0, 5.0),
    n_points: int = 1501,
    directory: str | Path = ".",
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Return the l-projected DOS of every atom: SCF, then a fixed-density run on a denser mesh.

    If the DOS mesh is the SCF mesh, the SCF converges the extra bands and gives the DOS
    itself (``results["dos_run"] == "scf"``); otherwise ``"fixed-density"``.

    Parameters
    ----------
    atoms
        Structure (bulk or slab).
    settings
        GPAW settings of the SCF (see :data:`GPAW_DEFAULTS`); ``nprocs`` > 1 runs under MPI.
    dos_kpt_density_a
        k-point density of the non-self-consistent DOS run, k-points per Å⁻¹.
    dos_kpts
        Explicit DOS mesh (overrides ``dos_kpt_density_a``).
    width_ev
        Gaussian broadening w, eV: each state contributes exp(-(E-ε)²/w²)/(√π w).
    energy_window_ev
        Energy grid relative to E_F, eV.
    n_points
        Grid points.
    directory
        Run directory (GPAW logs ``gpaw-scf.txt``, ``gpaw-dos.txt``).

    Returns
    -------
    tuple
        ``(results, arrays)``: results has ``energy_ev``, ``fermi_level_ev`` (absolute),
        ``scf_kpts``, ``dos_kpts``, ``nprocs`` (MPI ranks used), ...; arrays has
        ``energies_ev`` (relative to E_F), ``total_dos`` (states/eV/cell, spin-summed) and
        ``pdos`` with shape (n_atoms, 3, n_points) for l = s, p, d (states/eV, spin-summed;
        each state's charge of that l inside the atom's augmentation sphere, see
        :func:`_sphere_pdos`).

    Raises
    ------
    NotConvergedError
        If the SCF or the fixed-density run does not converge.
    """
    resolved = resolve_gpaw_settings(settings or {})
    nprocs = int(resolved["nprocs"] or default_nprocs())
    check_gpaw_installation(nprocs=nprocs, mpiexec=resolved["mpiexec"])
    if not width_ev > 0:
        msg = f"width_ev must be > 0 (Gaussian broadening, eV), got {width_ev}"
        raise ConfigurationError(msg)
    if not energy_window_ev[0] < 0 < energy_window_ev[1]:
        msg = f"energy_window_ev must contain E_F = 0, got {energy_window_ev}"
        raise ConfigurationError(msg)
    options = {
        "dos_kpt_density_a": dos_kpt_density_a,
        "dos_kpts": list(dos_kpts) if dos_kpts else None,
        "width_ev": width_ev,
        "energy_window_ev": list(energy_window_ev),
        "n_points": n_points,
    }
    run_dir = Path(directory)
    run_dir.mkdir(parents=True, exist_ok=True)
    if needs_subprocess(nprocs):
        results, arrays = run_mpi(
            "pdos", atoms, {**resolved, "nprocs": nprocs}, run_dir / "gpaw-mpi", options
        )
    else:
        results, arrays = _pdos_inprocess(atoms, resolved, options, run_dir)
    return {**results, "nprocs": nprocs}, arrays


# --------------------------------------------------------------------------- convergence
#: Parameters :func:`gpaw_convergence` can scan, with their setting names.
CONVERGENCE_PARAMETERS = {"ecut": "ecut_ev", "kpts": "kpt_density_a", "smearing": "smearing_ev"}


def gpaw_convergence(
    atoms: Atoms,
    parameter: str,
    values: Sequence[float],
    *,
    settings: Mapping[str, Any] | None = None,
    directory: str | Path = ".",
) -> list[dict[str, Any]]:
    """Return the energy per atom for each value of one setting and its change per step.

    Parameters
    ----------
    atoms
        Structure.
    parameter
        ``"ecut"`` (eV), ``"kpts"`` (k-point density, per Å⁻¹) or ``"smearing"`` (eV).
    values
        Values in the order to scan (ascending for cutoff and k-points).
    settings
        Other GPAW settings.
    directory
        Run directory (one sub-directory per value).

    Returns
    -------
    list of dict
        One row per value: ``value``, ``setting``, ``kpts``, ``energy_ev``,
        ``energy_per_atom_ev`` and ``delta_per_atom_mev`` (change from the previous row,
        meV/atom; None for the first).

    Raises
    ------
    ConfigurationError
        For an unknown parameter or fewer than two values.
    """
    if parameter not in CONVERGENCE_PARAMETERS:
        msg = f"parameter: {parameter!r} is not one of {sorted(CONVERGENCE_PARAMETERS)}"
        raise ConfigurationError(msg)
    if len(values) < 2:
        msg = f"values: give at least two values to compare, got {list(values)}"
        raise ConfigurationError(msg)
    key = CONVERGENCE_PARAMETERS[parameter]
    rows: list[dict[str, Any]] = []
    previous = None
    for value in values:
        calc = make_gpaw(
            **{**(settings or {}), key: float(value)},
        )
        calc.directory = str(Path(directory) / f"{parameter}-{value:g}")
        Path(calc.directory).mkdir(parents=True, exist_ok=True)
        work = atoms.copy()
        work.calc = calc
        energy = float(work.get_potential_energy())
        per_atom = energy / len(atoms)
        rows.append(
            {
                "parameter": parameter,
                "setting": key,
                "value": float(value),
                "kpts": calc.last_summary.get("kpts"),
                "energy_ev": energy,
                "energy_per_atom_ev": per_atom,
                "delta_per_atom_mev": None if previous is None else (per_atom - previous) * 1e3,
            }
        )
        logger.info(
            "%s = %g: E = %.6f eV/atom%s",
            key,
            value,
            per_atom,
            "" if previous is None else f" (Δ {(per_atom - previous) * 1e3:+.2f} meV/atom)",
        )
        previous = per_atom
    return rows


register_calculator(
    CalculatorBackend(
        name="gpaw",
        factory=make_gpaw,
        package="gpaw",
        kind="dft",
        description="GPAW plane-wave DFT (PBE, Fermi-Dirac; presets fast/accurate; nprocs>1 runs under OpenMPI)",
        default_kwargs=dict(GPAW_DEFAULTS),
        model_key="xc",
        install_hint=INSTALL_HINT,
        module="gpaw",
        presets=GPAW_PRESETS,
        runtime_keys=RUNTIME_KEYS,
        capabilities=frozenset({"pdos", "stress", "spin"}),
        pdos_runner=gpaw_pdos,
        validate_settings=resolve_gpaw_settings,
        installation_check=_check_installation_for,
    )
)
