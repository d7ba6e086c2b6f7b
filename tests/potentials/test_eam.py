"""Fit a tiny EAM potential on teacher-labelled frames, check it against itself in LAMMPS, run MD."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from ase import Atoms

from lithiophilic.errors import CalculationFailed, ConfigurationError
from lithiophilic.potentials.distill.eam import (
    EAM_FILE,
    EamModel,
    EamSettings,
    fit_eam,
    load_eam_potential,
)
from lithiophilic.potentials.distill.frames import read_frames, split_frames
from lithiophilic.potentials.distill.models import (
    fit_model,
    install_potential,
    load_fitted_potential,
    model_settings,
)
from lithiophilic.potentials.distill.pod import evaluate_potential
from lithiophilic.potentials.distill.validation import (
    family_errors,
    make_stability_system,
    run_stability,
)

TINY = Path(__file__).parents[1] / "data" / "potentials" / "tiny_licuzn_sevennet0.xyz"
ELEMENTS = ("Li", "Cu", "Zn")
SMALL = EamSettings(max_density_evals=30)


@pytest.fixture(scope="module")
def tiny_eam(tmp_path_factory):
    train, _ = split_frames(read_frames(TINY))
    return fit_eam(train, tmp_path_factory.mktemp("eam") / "m", elements=ELEMENTS, settings=SMALL)


def _model(directory: Path) -> EamModel:
    return EamModel.from_dict(json.loads((directory / "model.json").read_text()))


def test_forces_are_the_negative_energy_gradient(tiny_eam):
    model = _model(tiny_eam)
    atoms = read_frames(TINY)[5]
    _, forces = model.predict(atoms)
    h = 1e-4
    for k, c in ((0, 0), (3, 2), (len(atoms) - 1, 1)):
        plus, minus = atoms.copy(), atoms.copy()
        plus.positions[k, c] += h
        minus.positions[k, c] -= h
        fd = -(model.predict(plus)[0] - model.predict(minus)[0]) / (2 * h)
        assert forces[k, c] == pytest.approx(fd, abs=1e-5)


def test_lammps_setfl_reproduces_the_fitted_model(tiny_eam):
    """The tabulated eam/alloy file gives the numpy model's energies and forces."""
    model = _model(tiny_eam)
    pot = load_eam_potential(tiny_eam, name="tiny")
    assert pot.pair_style == "eam/alloy"
    frames = read_frames(TINY)
    for atoms, (e, f) in zip(frames, evaluate_potential(pot, frames), strict=True):
        e_ref, f_ref = model.predict(atoms)
        assert e == pytest.approx(e_ref, abs=1e-4 * len(atoms))
        assert np.abs(f - f_ref).max() < 1e-3


def test_tiny_fit_learns_its_training_data(tiny_eam):
    prov = json.loads((tiny_eam / "provenance.json").read_text())
    assert prov["model_family"] == "eam"
    assert prov["n_train_configs"] == 16
    train, _ = split_frames(read_frames(TINY))
    pot = load_fitted_potential(tiny_eam, name="tiny")
    err = family_errors(train, evaluate_potential(pot, train))["all"]
    assert err["force_rmse_ev_per_a"] == pytest.approx(prov["train_force_rmse_ev_per_a"], rel=1e-2)
    assert err["force_rmse_ev_per_a"] < 0.1
    assert err["energy_rmse_mev_per_atom"] < 10.0


def test_short_range_is_a_repulsive_wall(tiny_eam):
    """Below the distances the teacher saw, every pair is the ZBL wall: steep and repulsive."""
    model = _model(tiny_eam)
    for a, b in (("Li", "Li"), ("Li", "Cu"), ("Cu", "Zn")):
        energies = []
        for r in (0.6, 0.9, 1.2):
            dimer = Atoms(f"{a}{b}", positions=[(0, 0, 0), (0, 0, r)], cell=[20] * 3, pbc=False)
            energies.append(model.predict(dimer)[0])
        assert energies[0] > energies[1] > energies[2]
        assert energies[1] - energies[2] > 2.0  # eV (ZBL alone: Li-Li 4.7, Cu-Zn > 100)


def test_tiny_eam_runs_md_in_lammps(tiny_eam):
    pot = load_fitted_potential(tiny_eam, name="tiny")
    system = make_stability_system("Cu", size=(3, 3, 4), n_li=2, seed=0)
    res = run_stability(system, pot, temperature_k=300.0, time_ps=0.2, sample_every=50)
    assert res["steps_done"] == 100
    assert res["lost_atoms"] == 0
    assert np.isfinite(res["temperature_mean_k"])


def test_fit_model_dispatches_on_settings(tmp_path):
    train, _ = split_frames(read_frames(TINY))
    out = fit_model(
        train,
        tmp_path / "m",
        elements=ELEMENTS,
        settings=model_settings("eam", max_density_evals=0),
    )
    assert (out / EAM_FILE).is_file()
    with pytest.raises(ConfigurationError, match="unknown family 'snap'"):
        model_settings("snap")


def test_eam_bad_input(tmp_path):
    frames = read_frames(TINY)
    frames[2].calc.results.pop("forces")
    with pytest.raises(ConfigurationError, match="frame 2 has no forces"):
        fit_eam(frames, tmp_path / "a", elements=ELEMENTS, settings=SMALL)
    with pytest.raises(ConfigurationError, match="species"):
        fit_eam(read_frames(TINY), tmp_path / "b", elements=("Cu", "Zn"), settings=SMALL)
    with pytest.raises(ConfigurationError, match="zbl_inner_a < zbl_outer_a"):
        EamSettings(zbl_inner_a=2.0, zbl_outer_a=1.0)
    with pytest.raises(ConfigurationError, match="embedding_degree"):
        EamSettings(embedding_degree=0)
    with pytest.raises(ConfigurationError, match=r"missing potential\.eam\.alloy"):
        load_eam_potential(tmp_path)
    with pytest.raises(ConfigurationError, match="neither an EAM"):
        load_fitted_potential(tmp_path, name="x")
    assert not (tmp_path / "a").exists()


def test_diverging_eam_fit_fails(tmp_path):
    frames = read_frames(TINY)
    rng = np.random.default_rng(0)
    for a in frames:
        a.calc.results["forces"] = rng.normal(0.0, 50.0, (len(a), 3))
    with pytest.raises(CalculationFailed, match="diverged"):
        fit_eam(frames, tmp_path / "m", elements=ELEMENTS, settings=SMALL)
    assert not (tmp_path / "m").exists()


def test_install_refuses_an_eam_file_that_does_not_load(tiny_eam, tmp_path):
    dest = tmp_path / "shipped"
    install_potential(tiny_eam, dest)
    before = (dest / EAM_FILE).read_text()
    bad = tmp_path / "bad"
    shutil.copytree(tiny_eam, bad)
    (bad / EAM_FILE).write_text("truncated\n")
    with pytest.raises(CalculationFailed, match="does not load"):
        install_potential(bad, dest)
    assert (dest / EAM_FILE).read_text() == before
