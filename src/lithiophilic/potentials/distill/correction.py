"""A Li–Li correction on top of a distilled EAM: UF3 2+3-body terms fitted to teacher residuals.

The shipped ``licuzn-eam`` misplaces the Li–Li interactions the aggregation kinetics rest on
(site-resolved pair and trimer interactions off by up to 0.19 eV, issue 19).  The correction
adds, with LAMMPS ``pair_style hybrid/overlay eam/alloy uf3 3``,

- a Li–Li pair term ``phi(r)`` (cubic B-splines, 1.4–5.5 Å), and
- Li-centred three-body terms Li–Li–Li, Li–Li–Cu and Li–Li–Zn ``f(r_ij, r_ik, r_jk)``
  (centre Li, one neighbour Li; cutoff 4 Å): the substrate-mediated part of the Li–Li
  interaction, which differs between Cu and Cu–Zn hollows.

Every term needs two Li within its cutoff, so the correction is exactly zero for the clean
substrate and for a single Li: adsorption energies, the substrate and every stored result
of the base potential without Li pairs are unchanged.  The coefficients are a linear
least-squares fit (ridge) to the exact interaction residuals of
:mod:`lithiophilic.potentials.distill.correction_data` (energies and forces).

The corrected potential is a directory holding ``potential.eam.alloy`` (a byte copy of the
base potential's file), ``li_correction.uf3`` and ``provenance.json``; :func:`load_corrected_potential`
returns its :class:`~lithiophilic.potentials.lammps.LammpsPotential`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lithiophilic.errors import ConfigurationError
from lithiophilic.potentials.distill.uf3 import Uf3Basis, Uf3Term, uf3_features, write_uf3_file
from lithiophilic.potentials.lammps import LammpsPotential, read_fitted_dir

__all__ = [
    "CORRECTION_FILE",
    "CorrectionSettings",
    "correction_terms",
    "fit_correction",
    "load_corrected_potential",
    "predict_interaction",
    "read_correction",
    "write_corrected_potential",
]

#: UF3 file of the correction, inside the potential directory.
CORRECTION_FILE = "li_correction.uf3"
#: Base EAM file (a copy of the base potential's), inside the potential directory.
BASE_FILE = "potential.eam.alloy"
ELEMENTS = ("Li", "Cu", "Zn")
#: Configurations whose closest Li pair is at least this far apart (Å) are the ones MD at
#: 300-600 K visits; their interaction error is reported on its own.
NEAR_EQUILIBRIUM_MIN_LI_LI_A = 2.3


@dataclass(frozen=True)
class CorrectionSettings:
    """Basis and fit settings of the Li–Li correction (lengths in Å).

    Parameters
    ----------
    pair_cutoff_a, pair_spacing_a, pair_min_a
        Li–Li pair basis: cutoff, knot spacing, inner end of the fitted functions.
    three_body_cutoff_a, three_body_spacing_a, three_body_min_a
        Three-body bases along r_ij and r_ik (the r_jk basis spans twice the cutoff with
        twice the spacing).
    energy_weight_per_ev, force_weight_per_ev_per_a
        Row weights of the least squares (inverse of the accuracy asked of each).
    energy_scale_ev, force_scale_ev_per_a
        A row whose residual exceeds its scale is weighted down by ``1 + |residual| / scale``
        (relative accuracy for the large short-range residuals, absolute for the small ones).
    ridge
        Ridge penalty on the coefficients (in units of the weighted rows).
    three_body_ridge
        Ridge penalty on the three-body coefficients (``None``: ``ridge``).  A larger one
        keeps the Li–Li–X terms from fitting static energies with forces that thermal
        substrate motion turns into noise, while the pair term stays free to follow the
        short-range Li–Li residuals.
    substrate_elements
        Neighbour elements of the Li–Li–X terms.
    """

    pair_cutoff_a: float = 5.5
    pair_spacing_a: float = 0.25
    pair_min_a: float = 1.4
    three_body_cutoff_a: float = 4.0
    three_body_spacing_a: float = 0.5
    three_body_min_a: float = 1.5
    energy_weight_per_ev: float = 200.0
    force_weight_per_ev_per_a: float = 10.0
    energy_scale_ev: float = 0.2
    force_scale_ev_per_a: float = 1.0
    ridge: float = 1e-4
    three_body_ridge: float | None = None
    substrate_elements: tuple[str, ...] = ("Cu", "Zn")


def correction_terms(settings: CorrectionSettings) -> list[Uf3Term]:
    """Return the UF3 terms of the correction (pair Li–Li, then Li–Li–Li and Li–Li–X)."""
    s = settings
    pair = Uf3Basis(s.pair_cutoff_a, s.pair_spacing_a, s.pair_min_a)
    b3 = Uf3Basis(s.three_body_cutoff_a, s.three_body_spacing_a, s.three_body_min_a)
    bjk = Uf3Basis(2 * s.three_body_cutoff_a, 2 * s.three_body_spacing_a, s.three_body_min_a)
    terms = [Uf3Term(("Li", "Li"), (pair,)), Uf3Term(("Li", "Li", "Li"), (b3, b3, bjk))]
    terms += [Uf3Term(("Li", "Li", x), (b3, b3, bjk)) for x in s.substrate_elements]
    return terms


def _features(item: dict[str, Any], terms: Sequence[Uf3Term]) -> tuple[np.ndarray, np.ndarray]:
    """UF3 features of ``item["atoms"]``, cached in the item (a fit is repeated per CV fold)."""
    cache = item.setdefault("_features", {})
    key = tuple(terms)
    if key not in cache:
        cache[key] = uf3_features(item["atoms"], terms)
    return cache[key]


def _rows(items: Sequence[dict[str, Any]], terms: Sequence[Uf3Term]) -> tuple[list, list]:
    """Energy and force design rows/targets (force rows of atoms with a feature only)."""
    energy_rows, force_rows = [], []
    for it in items:
        fe, ff = _features(it, terms)
        energy_rows.append((fe, it["de_int_ev"]))
        n = ff.shape[0]
        ff2 = ff.reshape(n * 3, -1)
        target = np.asarray(it["df_int_ev_per_a"]).reshape(n * 3)
        keep = np.abs(ff2).sum(axis=1) > 0
        force_rows.append((ff2[keep], target[keep]))
    return energy_rows, force_rows


def fit_correction(
    items: Sequence[dict[str, Any]], settings: CorrectionSettings | None = None
) -> tuple[np.ndarray, dict[str, Any]]:
    """Fit the correction coefficients to interaction residuals; return them and fit errors.

    Parameters
    ----------
    items
        From :func:`~lithiophilic.potentials.distill.correction_data.interaction_residuals`.
    settings
        Basis and weights.

    Returns
    -------
    coefficients, info
        ``info`` holds the number of rows and the training RMSE of ΔE_int (eV) and of the
        interaction forces (eV/Å), before (base) and after (corrected).
    """
    settings = settings or CorrectionSettings()
    if not items:
        msg = "correction fit: no configurations with two or more Li"
        raise ConfigurationError(msg)
    terms = correction_terms(settings)
    energy_rows, force_rows = _rows(items, terms)
    e_a = np.array([r for r, _ in energy_rows])
    e_b = np.array([t for _, t in energy_rows])
    f_a = np.vstack([f for f, _ in force_rows])
    f_b = np.concatenate([t for _, t in force_rows])
    we = settings.energy_weight_per_ev / (1.0 + np.abs(e_b) / settings.energy_scale_ev)
    wf = settings.force_weight_per_ev_per_a / (1.0 + np.abs(f_b) / settings.force_scale_ev_per_a)
    a = np.vstack([we[:, None] * e_a, wf[:, None] * f_a])
    b = np.concatenate([we * e_b, wf * f_b])
    n = a.shape[1]
    n_pair = terms[0].n_free
    three = settings.ridge if settings.three_body_ridge is None else settings.three_body_ridge
    penalty = np.r_[np.full(n_pair, settings.ridge), np.full(n - n_pair, three)]
    ata = a.T @ a + np.trace(a.T @ a) / n * np.diag(penalty)
    coeff = np.linalg.solve(ata, a.T @ b)
    return coeff, {
        "n_configs": len(items),
        "n_force_rows": int(sum(len(t) for _, t in force_rows)),
        "n_coefficients": int(n),
        **interaction_errors(items, coeff, settings),
    }


def predict_interaction(
    item: dict[str, Any], coeff: np.ndarray, settings: CorrectionSettings
) -> tuple[float, np.ndarray]:
    """Return the correction's energy (eV) and forces (eV/Å) on ``item["atoms"]``."""
    fe, ff = _features(item, correction_terms(settings))
    return float(fe @ coeff), ff @ coeff


def _min_li_li_a(atoms: Any) -> float:
    li = [i for i, s in enumerate(atoms.get_chemical_symbols()) if s == "Li"]
    return min(atoms.get_distance(i, j, mic=True) for i in li for j in li if i < j)


def interaction_errors(
    items: Sequence[dict[str, Any]], coeff: np.ndarray, settings: CorrectionSettings
) -> dict[str, float]:
    """RMSE of ΔE_int (eV) and of the interaction forces (eV/Å), base vs corrected.

    ``e_int_rmse_above_2p3_a_*``: over the configurations whose Li are all ≥ 2.3 Å apart;
    ``f_int_li_rmse_*``: the interaction forces on the Li atoms only.
    """
    de0, de1, df0, df1, far, li0, li1 = [], [], [], [], [], [], []
    for it in items:
        e, f = predict_interaction(it, coeff, settings)
        far.append(_min_li_li_a(it["atoms"]) >= NEAR_EQUILIBRIUM_MIN_LI_LI_A)
        de0.append(it["de_int_ev"])
        de1.append(it["de_int_ev"] - e)
        df0.append(np.ravel(it["df_int_ev_per_a"]))
        df1.append(np.ravel(it["df_int_ev_per_a"] - f))
        li = it["atoms"].numbers == 3
        li0.append(np.ravel(it["df_int_ev_per_a"][li]))
        li1.append(np.ravel((it["df_int_ev_per_a"] - f)[li]))

    def rms(x: list) -> float:
        return float(np.sqrt(np.mean(np.square(np.concatenate([np.ravel(v) for v in x])))))

    sel = np.array(far)
    return {
        "n_configs": len(items),
        "e_int_rmse_above_2p3_a_base_ev": rms([np.array(de0)[sel]]) if sel.any() else None,
        "e_int_rmse_above_2p3_a_corrected_ev": rms([np.array(de1)[sel]]) if sel.any() else None,
        "e_int_rmse_base_ev": rms(de0),
        "e_int_rmse_corrected_ev": rms(de1),
        "e_int_max_abs_base_ev": float(np.max(np.abs(de0))),
        "e_int_max_abs_corrected_ev": float(np.max(np.abs(de1))),
        "f_int_rmse_base_ev_per_a": rms(df0),
        "f_int_rmse_corrected_ev_per_a": rms(df1),
        "f_int_li_rmse_base_ev_per_a": rms(li0),
        "f_int_li_rmse_corrected_ev_per_a": rms(li1),
    }


def read_correction(directory: str | Path) -> tuple[np.ndarray, CorrectionSettings]:
    """Return the coefficients and settings stored in a corrected potential's provenance."""
    prov = json.loads((Path(directory) / "provenance.json").read_text())
    raw = prov["correction_settings"]
    settings = CorrectionSettings(
        **{k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
    )
    return np.array(prov["coefficients"], dtype=float), settings


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_corrected_potential(
    out_dir: str | Path,
    *,
    base_dir: str | Path,
    coeff: np.ndarray,
    settings: CorrectionSettings,
    provenance: dict[str, Any],
) -> Path:
    """Write the corrected potential directory (EAM copy, UF3 file, provenance.json)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    base = Path(base_dir)
    shutil.copyfile(base / BASE_FILE, out / BASE_FILE)
    write_uf3_file(out / CORRECTION_FILE, correction_terms(settings), coeff, elements=ELEMENTS)
    prov = {
        "elements": list(ELEMENTS),
        "model": "hybrid/overlay eam/alloy + uf3 (Li-Li pair, Li-Li-Li, Li-Li-Cu, Li-Li-Zn)",
        "model_family": "eam+uf3-correction",
        "base_potential_sha256": _sha256(base / BASE_FILE),
        "correction_sha256": _sha256(out / CORRECTION_FILE),
        "correction_settings": {
            k: list(v) if isinstance(v, tuple) else v for k, v in asdict(settings).items()
        },
        "coefficients": [float(c) for c in coeff],
        **provenance,
    }
    (out / "provenance.json").write_text(json.dumps(prov, indent=1, sort_keys=True) + "\n")
    return out


def load_corrected_potential(
    directory: str | Path,
    *,
    name: str,
    description: str = "",
    validated_for_science: bool = True,
) -> LammpsPotential:
    """Return the ``hybrid/overlay eam/alloy uf3`` :class:`LammpsPotential` of a directory.

    Raises
    ------
    ConfigurationError
        If a file or ``provenance.json`` is missing.
    """
    d, prov = read_fitted_dir(directory, (BASE_FILE, CORRECTION_FILE), label="EAM+UF3")
    return LammpsPotential(
        name=name,
        elements=tuple(prov["elements"]),
        pair_style="hybrid/overlay eam/alloy uf3 3",
        pair_coeff=(
            f"* * eam/alloy {{dir}}/{BASE_FILE} {{types}}",
            f"* * uf3 {{dir}}/{CORRECTION_FILE} {{types}}",
        ),
        directory=d,
        files=(BASE_FILE, CORRECTION_FILE),
        description=description or prov.get("model", "EAM + UF3"),
        reference="Daw & Baskes PRB 29, 6443 (1984); Xie et al. npj Comput. Mater. 9, 87 (2023)",
        validated_for_science=validated_for_science,
        provenance=prov,
    )
