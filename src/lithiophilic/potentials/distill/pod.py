"""Fit POD potentials with LAMMPS's own ``fitpod`` and turn them into registry potentials.

POD (proper orthogonal descriptors, LAMMPS ML-POD package) is linear in its coefficients,
so a fit is one least-squares solve inside LAMMPS (``fitpod param.pod data.pod``).  The
input keywords follow the LAMMPS ``examples/PACKAGES/pod`` files of the installed version
(2025): the parameter file lists ``species``, ``rin``, ``rcut``, the Bessel/inverse
polynomial degrees and the radial/angular sizes of each body order; the data file gives
``file_format extxyz`` and the training directory.  The fitted potential runs as
``pair_style pod`` / ``pair_coeff * * PARAM COEFFS El1 El2 ...``.

A fitted directory holds ``param.pod``, ``coefficients.pod`` and ``provenance.json``;
:func:`lithiophilic.potentials.distill.models.install_potential` moves it into place only after LAMMPS has loaded it and it gives
finite energies, so a failed fit never overwrites a working potential.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lithiophilic.errors import CalculationFailed, ConfigurationError
from lithiophilic.potentials.distill.frames import check_training_frames
from lithiophilic.potentials.lammps import (
    PROVENANCE_FILE,
    LammpsPotential,
    import_lammps,
    read_fitted_dir,
)

if TYPE_CHECKING:
    from ase import Atoms

__all__ = [
    "COEFF_FILE",
    "PARAM_FILE",
    "PROVENANCE_FILE",
    "PodSettings",
    "check_potential_loads",
    "evaluate_potential",
    "fit_pod",
    "load_pod_potential",
    "write_pod_extxyz",
]

logger = logging.getLogger(__name__)

PARAM_FILE = "param.pod"
COEFF_FILE = "coefficients.pod"

#: A fit whose training force RMSE exceeds this (eV/Å) is treated as diverged.
MAX_TRAIN_FORCE_RMSE_EV_PER_A = 1.0


@dataclass(frozen=True)
class PodSettings:
    """POD descriptor and fit settings (LAMMPS ``fitpod`` keywords).

    Parameters
    ----------
    rcut_a, rin_a
        Outer and inner cutoff radii, Å.
    bessel_degree, inverse_degree
        Polynomial degrees of the radial basis.
    twobody_nrbf
        Radial functions of the 2-body descriptors.
    threebody_nrbf, threebody_angular_degree
        Radial functions and angular degree of the 3-body descriptors (0 = none).
    fourbody_nrbf, fourbody_angular_degree
        Same for the 4-body descriptors (0 = none).
    energy_weight, force_weight
        Least-squares weights of energies (per configuration) and forces.
    regularization
        Tikhonov regularisation parameter.
    """

    rcut_a: float = 5.0
    rin_a: float = 1.0
    bessel_degree: int = 4
    inverse_degree: int = 8
    twobody_nrbf: int = 6
    threebody_nrbf: int = 5
    threebody_angular_degree: int = 4
    fourbody_nrbf: int = 0
    fourbody_angular_degree: int = 0
    energy_weight: float = 100.0
    force_weight: float = 1.0
    regularization: float = 1e-6

    def __post_init__(self) -> None:
        if not 0.0 < self.rin_a < self.rcut_a:
            msg = f"POD settings: need 0 < rin_a < rcut_a, got rin_a={self.rin_a}, rcut_a={self.rcut_a}"
            raise ConfigurationError(msg)
        if self.twobody_nrbf < 1:
            msg = f"POD settings: twobody_nrbf must be >= 1, got {self.twobody_nrbf}"
            raise ConfigurationError(msg)

    def param_text(self, elements: Sequence[str]) -> str:
        """Return the ``param.pod`` file for ``elements`` (LAMMPS type order)."""
        lines = [
            f"species {' '.join(elements)}",
            "pbc 1 1 1",
            f"rin {self.rin_a}",
            f"rcut {self.rcut_a}",
            "number_of_environment_clusters 1",
            "number_of_principal_components 2",
            f"bessel_polynomial_degree {self.bessel_degree}",
            f"inverse_polynomial_degree {self.inverse_degree}",
            "onebody 1",
            f"twobody_number_radial_basis_functions {self.twobody_nrbf}",
            f"threebody_number_radial_basis_functions {self.threebody_nrbf}",
            f"threebody_angular_degree {self.threebody_angular_degree}",
            f"fourbody_number_radial_basis_functions {self.fourbody_nrbf}",
            f"fourbody_angular_degree {self.fourbody_angular_degree}",
        ]
        for order in ("five", "six", "seven"):
            lines += [
                f"{order}body_number_radial_basis_functions 0",
                f"{order}body_angular_degree 0",
            ]
        return "\n".join(lines) + "\n"

    def data_text(self, train_dir: str) -> str:
        """Return the ``data.pod`` file pointing at ``train_dir``."""
        return (
            "\n".join(
                [
                    "file_format extxyz",
                    "file_extension xyz",
                    f'path_to_training_data_set "{train_dir}"',
                    f"fitting_weight_energy {self.energy_weight}",
                    f"fitting_weight_force {self.force_weight}",
                    f"fitting_regularization_parameter {self.regularization}",
                    "error_analysis_for_training_data_set 1",
                    "error_analysis_for_test_data_set 0",
                    "basename_for_output_files fit",
                    "precision_for_pod_coefficients 12",
                ]
            )
            + "\n"
        )


def write_pod_extxyz(frames: Iterable[Atoms], path: str | Path) -> None:
    """Write frames in the minimal extxyz dialect ``fitpod`` reads (lattice, species, pos, forces, energy)."""
    with open(path, "w") as fh:
        for atoms in frames:
            res = atoms.calc.results
            cell = " ".join(f"{x:.10f}" for x in atoms.cell.array.ravel())
            fh.write(f"{len(atoms)}\n")
            fh.write(
                f'Lattice="{cell}" Properties=species:S:1:pos:R:3:forces:R:3 '
                f'energy={float(res["energy"]):.10f} pbc="T T T"\n'
            )
            for s, p, f in zip(
                atoms.get_chemical_symbols(), atoms.positions, res["forces"], strict=True
            ):
                fh.write(f"{s} {p[0]:.8f} {p[1]:.8f} {p[2]:.8f} {f[0]:.8f} {f[1]:.8f} {f[2]:.8f}\n")


def _parse_coefficients(path: Path) -> np.ndarray:
    lines = path.read_text().split()
    try:
        start = lines.index("model_coefficients:")
        n = int(lines[start + 1])
        coeffs = np.array([float(x) for x in lines[start + 4 : start + 4 + n]])
    except (ValueError, IndexError) as exc:
        msg = f"POD coefficient file {path} cannot be parsed ({exc})"
        raise CalculationFailed(msg) from exc
    if coeffs.size != n:
        msg = f"POD coefficient file {path}: expected {n} coefficients, found {coeffs.size}"
        raise CalculationFailed(msg)
    return coeffs


def _train_errors(path: Path) -> dict[str, float]:
    """Parse fitpod's training error table: energy RMSE (eV/atom) and force RMSE (eV/Å)."""
    for line in path.read_text().splitlines():
        parts = line.split()
        if parts[:2] == ["All", "files"]:
            return {
                "train_energy_rmse_ev_per_atom": float(parts[5]),
                "train_force_rmse_ev_per_a": float(parts[7]),
            }
    return {}


#: fitpod of LAMMPS 2025.7.22 sizes one buffer from a member it never initialises
#: (``nb.natom_max`` in ``FitPOD::estimate_memory_neighborstruct``); when the heap holds a
#: large value the allocation fails with a negative size.  A fresh LAMMPS instance usually
#: succeeds, so such failures are retried.
FITPOD_ATTEMPTS = 4


def _run_fitpod(lammps: Any, work: Path) -> None:
    cwd = Path.cwd()
    for attempt in range(1, FITPOD_ATTEMPTS + 1):
        try:
            os.chdir(work)
            lmp = lammps.lammps(cmdargs=["-log", "fit.log", "-screen", "none", "-nocite"])
            try:
                lmp.command(f"fitpod {PARAM_FILE} data.pod")
            finally:
                lmp.close()
            return
        except Exception as exc:
            if "Failed to allocate -" in str(exc) and attempt < FITPOD_ATTEMPTS:
                logger.warning("fitpod hit its uninitialised-buffer bug; retrying (%d)", attempt)
                continue
            msg = f"LAMMPS fitpod failed: {exc}"
            raise CalculationFailed(msg) from exc
        finally:
            os.chdir(cwd)


def fit_pod(
    train: Sequence[Atoms],
    out_dir: str | Path,
    *,
    elements: Sequence[str],
    settings: PodSettings | None = None,
    provenance: dict[str, Any] | None = None,
) -> Path:
    """Fit a POD potential with LAMMPS ``fitpod`` and write it to ``out_dir``.

    Parameters
    ----------
    train
        Labelled training frames (energy and forces, see
        :func:`~lithiophilic.potentials.distill.frames.check_training_frames`).
    out_dir
        Directory to create (must not exist or be empty); receives ``param.pod``,
        ``coefficients.pod`` and ``provenance.json``.
    elements
        Species in LAMMPS type order.
    settings
        Descriptor and fit settings; ``None`` means :class:`PodSettings` defaults.
    provenance
        Extra metadata written to ``provenance.json`` (teacher, data hash ...).

    Returns
    -------
    Path
        ``out_dir``.

    Raises
    ------
    ConfigurationError
        For training data without forces, unknown species, or a non-empty ``out_dir``.
    CalculationFailed
        If ``fitpod`` fails, gives non-finite coefficients, or diverges (training force
        RMSE above ``MAX_TRAIN_FORCE_RMSE_EV_PER_A``).
    """
    settings = settings or PodSettings()
    frames = check_training_frames(train, elements)
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        msg = f"fit output directory {out} is not empty"
        raise ConfigurationError(msg)
    lammps = import_lammps()
    with tempfile.TemporaryDirectory(prefix="podfit-") as tmp:
        work = Path(tmp)
        (work / "train").mkdir()
        write_pod_extxyz(frames, work / "train" / "train.xyz")
        (work / PARAM_FILE).write_text(settings.param_text(elements))
        (work / "data.pod").write_text(settings.data_text("train"))
        t0 = time.perf_counter()
        _run_fitpod(lammps, work)
        fit_s = time.perf_counter() - t0
        coeff_file = work / "fit_coefficients.pod"
        if not coeff_file.is_file():
            msg = f"LAMMPS fitpod wrote no coefficients (see {work / 'fit.log'})"
            raise CalculationFailed(msg)
        coeffs = _parse_coefficients(coeff_file)
        if not np.isfinite(coeffs).all():
            msg = "POD fit diverged: non-finite coefficients"
            raise CalculationFailed(msg)
        errors = _train_errors(work / "fit_training_errors.pod")
        rmse = errors.get("train_force_rmse_ev_per_a", np.inf)
        if not np.isfinite(rmse) or rmse > MAX_TRAIN_FORCE_RMSE_EV_PER_A:
            msg = (
                f"POD fit diverged: training force RMSE {rmse} eV/Å exceeds "
                f"{MAX_TRAIN_FORCE_RMSE_EV_PER_A} eV/Å"
            )
            raise CalculationFailed(msg)
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy(work / PARAM_FILE, out / PARAM_FILE)
        shutil.copy(coeff_file, out / COEFF_FILE)
    prov = {
        "model": "POD (LAMMPS ML-POD, fitpod)",
        "elements": list(elements),
        "fit_settings": asdict(settings),
        "n_descriptors": int(coeffs.size),
        "n_train_configs": len(frames),
        "n_train_atoms": int(sum(len(a) for a in frames)),
        "fit_time_s": round(fit_s, 2),
        **errors,
        **(provenance or {}),
    }
    (out / PROVENANCE_FILE).write_text(json.dumps(prov, indent=2, sort_keys=True) + "\n")
    logger.info("POD fit: %d coefficients, %s", coeffs.size, errors)
    return out


def load_pod_potential(
    directory: str | Path,
    *,
    name: str = "pod",
    description: str = "",
    validated_for_science: bool = True,
) -> LammpsPotential:
    """Return a :class:`LammpsPotential` for a fitted POD directory.

    Raises
    ------
    ConfigurationError
        If the directory lacks ``param.pod``, ``coefficients.pod`` or ``provenance.json``.
    """
    d, prov = read_fitted_dir(directory, (PARAM_FILE, COEFF_FILE), label="POD")
    return LammpsPotential(
        name=name,
        elements=tuple(prov["elements"]),
        pair_style="pod",
        pair_coeff=(f"* * {{dir}}/{PARAM_FILE} {{dir}}/{COEFF_FILE} {{types}}",),
        directory=d,
        files=(PARAM_FILE, COEFF_FILE),
        description=description or prov.get("model", "POD"),
        reference="Nguyen & Rohskopf, J. Comput. Phys. 2023 (POD); LAMMPS ML-POD",
        validated_for_science=validated_for_science,
        provenance=prov,
    )


def _lammps_calc(pot: LammpsPotential) -> Any:
    import_lammps()
    from ase.calculators.lammpslib import LAMMPSlib

    return LAMMPSlib(
        lmpcmds=pot.commands(),
        atom_types={el: i + 1 for i, el in enumerate(pot.elements)},
        atom_type_masses=pot.masses(),
        log_file=os.devnull,
        keep_alive=True,
    )


def evaluate_potential(
    pot: LammpsPotential, frames: Sequence[Atoms]
) -> list[tuple[float, np.ndarray]]:
    """Return (energy_ev, forces_ev_per_a) of ``pot`` for every frame (LAMMPS via ASE LAMMPSlib)."""
    calc = _lammps_calc(pot)
    out = []
    for atoms in frames:
        a = atoms.copy()
        a.set_constraint()
        a.calc = calc
        out.append((float(a.get_potential_energy()), np.array(a.get_forces())))
    return out


def check_potential_loads(pot: LammpsPotential) -> float:
    """Load ``pot`` in LAMMPS and return the energy per atom (eV) of a small Li–Cu–Zn test cell.

    Raises
    ------
    CalculationFailed
        If LAMMPS rejects the files or the energy or forces are not finite.
    """
    from ase.build import bulk

    atoms = bulk("Cu", "fcc", a=3.62, cubic=True).repeat(2)
    symbols = atoms.get_chemical_symbols()
    for i, el in enumerate(pot.elements):
        symbols[3 * i] = el
    atoms.set_chemical_symbols(symbols)
    atoms.rattle(0.05, seed=1)
    try:
        ((energy, forces),) = evaluate_potential(pot, [atoms])
    except Exception as exc:
        msg = f"potential {pot.name!r} does not load in LAMMPS: {exc}"
        raise CalculationFailed(msg) from exc
    if not (np.isfinite(energy) and np.isfinite(forces).all()):
        msg = f"potential {pot.name!r} gives non-finite energy or forces"
        raise CalculationFailed(msg)
    return energy / len(atoms)
