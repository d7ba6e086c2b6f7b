"""Fit embedded-atom (EAM, LAMMPS ``eam/alloy``) potentials to teacher-labelled frames.

The functional form is in :mod:`lithiophilic.potentials.distill.eam_form`.  For fixed density
parameters, energies and forces are linear in the embedding and pair coefficients, so they are
one weighted least-squares solve (energies per atom, with per-family weights, and force
components, plus a second-difference smoothness penalty on each pair spline); the five density
parameters are optimised around it (Powell's method on the training loss).  The result is
written as a LAMMPS ``setfl`` file (:func:`write_setfl`) with ``model.json`` (the same model for
:meth:`EamModel.predict`) and ``provenance.json``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lithiophilic.errors import CalculationFailed, ConfigurationError
from lithiophilic.potentials.distill.eam_form import (
    _LATTICE,
    _ZBL_C,
    COULOMB_EV_A,
    R_DENSITY_REF_A,
    EamModel,
    EamSettings,
    _Geometry,
)
from lithiophilic.potentials.distill.frames import check_training_frames
from lithiophilic.potentials.lammps import PROVENANCE_FILE, LammpsPotential, read_fitted_dir

if TYPE_CHECKING:
    from ase import Atoms

__all__ = [
    "EAM_FILE",
    "EamModel",
    "EamSettings",
    "fit_eam",
    "fit_eam_model",
    "load_eam_potential",
    "write_setfl",
]

logger = logging.getLogger(__name__)

EAM_FILE = "potential.eam.alloy"
MODEL_FILE = "model.json"
#: A fit whose training force RMSE exceeds this (eV/Å) is treated as diverged.
MAX_TRAIN_FORCE_RMSE_EV_PER_A = 1.0


def _coefficient_vector(model: EamModel) -> np.ndarray:
    return np.concatenate(
        [np.ravel(model.pair_coeffs_ev), np.ravel(model.embedding_coeffs_ev)]
    ).astype(float)


def _smoothness_rows(n_pairs: int, nb: int, n_cols: int, weight: float) -> np.ndarray:
    rows = []
    for p in range(n_pairs):
        for k in range(nb - 2):
            r = np.zeros(n_cols)
            r[p * nb + k : p * nb + k + 3] = (1.0, -2.0, 1.0)
            rows.append(weight * r)
    return np.array(rows)


@dataclass
class _Problem:
    """The least-squares problem of one fit.

    The pair columns do not depend on the density parameters, so their normal-equation
    blocks are formed once; each density trial only adds the embedding columns.
    """

    geom: _Geometry
    energies_ev: np.ndarray
    forces_ev_per_a: np.ndarray
    model: EamModel
    pair_e: np.ndarray  # weighted energy rows, pair columns
    pair_f: np.ndarray  # force rows, pair columns
    y_e: np.ndarray  # weighted per-atom energy targets minus the ZBL baseline
    y_f: np.ndarray  # force targets minus the ZBL baseline
    ata_pp: np.ndarray
    aty_p: np.ndarray
    energy_row_weight: np.ndarray  # per frame: energy_weight x family factor / n_atoms

    @classmethod
    def build(
        cls, frames: Sequence[Atoms], elements: Sequence[str], settings: EamSettings
    ) -> _Problem:
        geom = _Geometry.of(frames, elements, settings.rcut_a)
        n = len(elements)
        template = EamModel(
            elements=tuple(elements),
            settings=settings,
            density_amplitude=[1.0] * n,
            density_beta_per_a=[settings.density_beta_init_per_a] * n,
        )
        pe, pf, be, bf = geom.pair_columns(template)
        energies = np.array([float(a.calc.results["energy"]) for a in frames])
        forces = np.concatenate([np.asarray(a.calc.results["forces"], dtype=float) for a in frames])
        factors = dict(settings.family_energy_weights)
        fam = np.array([factors.get(a.info.get("family", ""), 1.0) for a in frames])
        w = settings.energy_weight * fam / geom.n_atoms.astype(float)
        pe_w = pe * w[:, None]
        y_e = (energies - be) * w
        y_f = forces.ravel() - bf
        n_pairs = n * (n + 1) // 2
        reg = _smoothness_rows(
            n_pairs, pe.shape[1] // n_pairs, pe.shape[1], np.sqrt(settings.smoothness)
        )
        ata_pp = pe_w.T @ pe_w + pf.T @ pf + reg.T @ reg
        aty_p = pe_w.T @ y_e + pf.T @ y_f
        return cls(geom, energies, forces, template, pe_w, pf, y_e, y_f, ata_pp, aty_p, w)

    def solve(self, amplitude: Sequence[float], beta: Sequence[float]) -> tuple[float, EamModel]:
        """Fit the linear coefficients for these density parameters; return (loss, model)."""
        s = self.model.settings
        model = EamModel(
            elements=self.model.elements,
            settings=s,
            density_amplitude=list(amplitude),
            density_beta_per_a=list(beta),
        )
        rho, dg = self.geom.densities(model)
        scale = []
        for el in range(len(model.elements)):
            r_el = rho[self.geom.species == el]
            scale.append(float(np.sqrt(np.median(r_el[r_el > 0]))) if (r_el > 0).any() else 1.0)
        model.embedding_scale = scale
        model.density_max = float(rho.max())
        emb_e, emb_f = self.geom.embedding_columns(model, rho, dg)
        emb_e = emb_e * self.energy_row_weight[:, None]
        n_p = self.pair_e.shape[1]
        ata = np.empty((n_p + emb_e.shape[1],) * 2)
        ata[:n_p, :n_p] = self.ata_pp
        ata[:n_p, n_p:] = self.pair_e.T @ emb_e + self.pair_f.T @ emb_f
        ata[n_p:, :n_p] = ata[:n_p, n_p:].T
        ata[n_p:, n_p:] = emb_e.T @ emb_e + emb_f.T @ emb_f
        aty = np.concatenate([self.aty_p, emb_e.T @ self.y_e + emb_f.T @ self.y_f])
        # unused columns (an element pair absent from the data) stay at zero
        unused = np.diag(ata) <= 1e-14 * max(np.diag(ata).max(), 1.0)
        ata[unused, :] = 0.0
        ata[:, unused] = 0.0
        ata[unused, unused] = 1.0
        aty[unused] = 0.0
        ridge = 1e-10 * np.trace(ata) / len(ata)
        try:
            x = np.linalg.solve(ata + ridge * np.eye(len(ata)), aty)
        except np.linalg.LinAlgError:
            return np.inf, model
        resid = np.concatenate(
            [
                self.pair_e @ x[:n_p] + emb_e @ x[n_p:] - self.y_e,
                self.pair_f @ x[:n_p] + emb_f @ x[n_p:] - self.y_f,
            ]
        )
        loss = float(np.mean(resid**2))
        n_el = len(model.elements)
        n_pairs = n_el * (n_el + 1) // 2
        model.pair_coeffs_ev = x[:n_p].reshape(n_pairs, -1).tolist()
        model.embedding_coeffs_ev = x[n_p:].reshape(n_el, -1).tolist()
        return loss, model


def fit_eam_model(
    train: Sequence[Atoms], *, elements: Sequence[str], settings: EamSettings | None = None
) -> tuple[EamModel, dict[str, Any]]:
    """Fit an :class:`EamModel` to labelled frames; return it and the training errors.

    Raises
    ------
    ConfigurationError
        For training data without forces or with species outside ``elements``.
    CalculationFailed
        If the fit gives non-finite coefficients or diverges (training force RMSE above
        ``MAX_TRAIN_FORCE_RMSE_EV_PER_A``).
    """
    from scipy.optimize import minimize

    settings = settings or EamSettings()
    frames = check_training_frames(train, elements)
    problem = _Problem.build(frames, elements, settings)
    n = len(elements)

    def unpack(p: np.ndarray) -> tuple[list[float], list[float]]:
        amp = [1.0, *np.exp(p[: n - 1]).tolist()]
        beta = np.clip(p[n - 1 :], 0.3, 6.0).tolist()
        return amp, beta

    p0 = np.concatenate([np.zeros(n - 1), np.full(n, settings.density_beta_init_per_a)])
    n_eval = 0
    if settings.max_density_evals > 0:

        def objective(p: np.ndarray) -> float:
            nonlocal n_eval
            n_eval += 1
            loss, _ = problem.solve(*unpack(p))
            return loss if np.isfinite(loss) else 1e30

        res = minimize(
            objective,
            p0,
            method="Powell",
            bounds=[(-3.0, 3.0)] * (n - 1) + [(0.3, 6.0)] * n,
            options={"maxfev": settings.max_density_evals, "xtol": 1e-3, "ftol": 1e-6},
        )
        p0 = res.x
    loss, model = problem.solve(*unpack(p0))
    coeffs = _coefficient_vector(model)
    if not np.isfinite(loss) or coeffs.size == 0 or not np.isfinite(coeffs).all():
        msg = "EAM fit diverged: non-finite coefficients"
        raise CalculationFailed(msg)
    e, f = problem.geom.evaluate(model)
    de = (e - problem.energies_ev) / problem.geom.n_atoms
    df = f - problem.forces_ev_per_a
    errors = {
        "train_energy_rmse_ev_per_atom": float(np.sqrt(np.mean(de**2))),
        "train_force_rmse_ev_per_a": float(np.sqrt(np.mean(df**2))),
        "density_evaluations": n_eval,
    }
    if errors["train_force_rmse_ev_per_a"] > MAX_TRAIN_FORCE_RMSE_EV_PER_A:
        msg = (
            f"EAM fit diverged: training force RMSE {errors['train_force_rmse_ev_per_a']:.3f} "
            f"eV/Å exceeds {MAX_TRAIN_FORCE_RMSE_EV_PER_A} eV/Å"
        )
        raise CalculationFailed(msg)
    return model, errors


def write_setfl(model: EamModel, path: str | Path, *, comment: str = "") -> Path:
    """Write ``model`` as a LAMMPS ``eam/alloy`` setfl file.

    Grids: ``rho_k = k * drho`` (k < n_rho) up to twice :attr:`EamModel.density_max` (LAMMPS
    extrapolates F linearly beyond it, as :meth:`EamModel.embedding` does), ``r_k = k * dr`` (k < n_r) up to the cutoff; pairs are stored as
    ``r * phi(r)`` (eV·Å) in setfl order.
    """
    from ase.data import atomic_masses, atomic_numbers

    s = model.settings
    n_el = len(model.elements)
    rho_max = 2.0 * model.density_max
    drho = rho_max / (s.n_rho - 1)
    dr = s.rcut_a / (s.n_r - 1)
    rho = np.arange(s.n_rho) * drho
    r = np.arange(s.n_r) * dr

    def block(values: np.ndarray) -> str:
        v = np.asarray(values, dtype=float)
        rows = [" ".join(f"{x:.12e}" for x in v[k : k + 5]) for k in range(0, len(v), 5)]
        return "\n".join(rows)

    lines = [
        "lithiophilic EAM (eam/alloy) distilled from a teacher; see provenance.json",
        comment.replace("\n", " ")[:200] or "fitted by lithiophilic.potentials.distill.eam",
        f"rcut {s.rcut_a} A; rho = sum_j A exp(-beta (r - {R_DENSITY_REF_A})) (1-(r/rc)^2)^3",
        f"{n_el} " + " ".join(model.elements),
        f"{s.n_rho} {drho:.12e} {s.n_r} {dr:.12e} {s.rcut_a:.6f}",
    ]
    for el, sym in enumerate(model.elements):
        z = atomic_numbers[sym]
        a_lat, lat = _LATTICE.get(sym, (0.0, "none"))
        lines.append(f"{z} {atomic_masses[z]:.6f} {a_lat:.4f} {lat}")
        lines.append(block(model.embedding(el, rho)[0]))
        g, _ = model.density(el, r)
        lines.append(block(g))
    for a in range(n_el):
        for b in range(a + 1):
            phi, _ = model.pair(a, b, r[1:])
            # r*phi at r = 0 is the unscreened Coulomb limit of ZBL (the spline vanishes there)
            z_ab = atomic_numbers[model.elements[a]] * atomic_numbers[model.elements[b]]
            rphi = np.concatenate([[z_ab * COULOMB_EV_A * _ZBL_C.sum()], r[1:] * phi])
            lines.append(block(rphi))
    out = Path(path)
    out.write_text("\n".join(lines) + "\n")
    return out


def fit_eam(
    train: Sequence[Atoms],
    out_dir: str | Path,
    *,
    elements: Sequence[str],
    settings: EamSettings | None = None,
    provenance: dict[str, Any] | None = None,
) -> Path:
    """Fit an EAM potential and write it to ``out_dir`` (setfl, model.json, provenance.json).

    Parameters
    ----------
    train
        Labelled training frames.
    out_dir
        Directory to create (must not exist or be empty).
    elements
        Species in LAMMPS type order.
    settings
        Functional form and fit settings; ``None`` means :class:`EamSettings` defaults.
    provenance
        Extra metadata written to ``provenance.json``.

    Returns
    -------
    Path
        ``out_dir``.

    Raises
    ------
    ConfigurationError
        For bad training data or a non-empty ``out_dir``.
    CalculationFailed
        If the fit diverges.
    """
    settings = settings or EamSettings()
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        msg = f"fit output directory {out} is not empty"
        raise ConfigurationError(msg)
    t0 = time.perf_counter()
    model, errors = fit_eam_model(train, elements=elements, settings=settings)
    fit_s = time.perf_counter() - t0
    out.mkdir(parents=True, exist_ok=True)
    write_setfl(model, out / EAM_FILE)
    (out / MODEL_FILE).write_text(json.dumps(model.to_dict(), indent=1) + "\n")
    n_coeffs = int(_coefficient_vector(model).size) + 2 * len(elements) - 1
    prov = {
        "model": "EAM (LAMMPS eam/alloy), ZBL + cubic-spline pairs, exponential densities",
        "model_family": "eam",
        "elements": list(elements),
        "fit_settings": asdict(settings),
        "n_descriptors": n_coeffs,
        "n_train_configs": len(train),
        "n_train_atoms": int(sum(len(a) for a in train)),
        "fit_time_s": round(fit_s, 2),
        "density_amplitude": model.density_amplitude,
        "density_beta_per_a": model.density_beta_per_a,
        **errors,
        **(provenance or {}),
    }
    (out / PROVENANCE_FILE).write_text(json.dumps(prov, indent=2, sort_keys=True) + "\n")
    logger.info("EAM fit: %d parameters, %s", n_coeffs, errors)
    return out


def load_eam_potential(
    directory: str | Path,
    *,
    name: str = "eam",
    description: str = "",
    validated_for_science: bool = True,
) -> LammpsPotential:
    """Return a :class:`LammpsPotential` (``pair_style eam/alloy``) for a fitted EAM directory.

    Raises
    ------
    ConfigurationError
        If the directory lacks the setfl file or ``provenance.json``.
    """
    d, prov = read_fitted_dir(directory, (EAM_FILE,), label="EAM")
    return LammpsPotential(
        name=name,
        elements=tuple(prov["elements"]),
        pair_style="eam/alloy",
        pair_coeff=(f"* * {{dir}}/{EAM_FILE} {{types}}",),
        directory=d,
        files=(EAM_FILE,),
        description=description or prov.get("model", "EAM"),
        reference="Daw & Baskes, PRB 29, 6443 (1984); ZBL core; LAMMPS eam/alloy",
        validated_for_science=validated_for_science,
        provenance=prov,
    )
