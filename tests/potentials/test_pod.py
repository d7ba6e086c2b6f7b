"""Fit a tiny POD potential with LAMMPS fitpod on teacher-labelled frames and run it in LAMMPS."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from lithiophilic.errors import CalculationFailed, ConfigurationError
from lithiophilic.potentials.distill.frames import read_frames, split_frames
from lithiophilic.potentials.distill.models import install_potential
from lithiophilic.potentials.distill.pod import (
    COEFF_FILE,
    PodSettings,
    evaluate_potential,
    fit_pod,
    load_pod_potential,
)
from lithiophilic.potentials.distill.validation import (
    family_errors,
    make_stability_system,
    run_stability,
)

#: 18 small configurations labelled with SevenNet-0 (energy, raw forces), 2 held out.
TINY = Path(__file__).parents[1] / "data" / "potentials" / "tiny_licuzn_sevennet0.xyz"
ELEMENTS = ("Li", "Cu", "Zn")
SMALL = PodSettings(
    twobody_nrbf=4, threebody_nrbf=3, threebody_angular_degree=2, regularization=1e-6
)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    train, _ = split_frames(read_frames(TINY))
    return fit_pod(train, tmp_path_factory.mktemp("pod") / "m", elements=ELEMENTS, settings=SMALL)


def test_tiny_fit_reproduces_its_training_data(tiny_model):
    prov = json.loads((tiny_model / "provenance.json").read_text())
    assert prov["elements"] == list(ELEMENTS)
    assert prov["n_train_configs"] == 16
    pot = load_pod_potential(tiny_model, name="tiny")
    train, _ = split_frames(read_frames(TINY))
    err = family_errors(train, evaluate_potential(pot, train))["all"]
    # LAMMPS pair_style pod reproduces what fitpod reports for the same frames
    assert err["force_rmse_ev_per_a"] == pytest.approx(prov["train_force_rmse_ev_per_a"], rel=1e-3)
    assert err["energy_rmse_mev_per_atom"] < 20.0
    assert err["force_rmse_ev_per_a"] < 0.3


def test_tiny_potential_runs_md_in_lammps(tiny_model):
    pot = load_pod_potential(tiny_model, name="tiny")
    system = make_stability_system("Cu", size=(3, 3, 4), n_li=2, seed=0)
    res = run_stability(system, pot, temperature_k=300.0, time_ps=0.1, sample_every=25)
    assert res["steps_done"] == 50
    assert res["lost_atoms"] == 0
    assert len(res["frames"]) == 2
    assert np.isfinite(res["temperature_mean_k"])


def test_fit_rejects_bad_input(tmp_path):
    frames = read_frames(TINY)
    frames[3].calc.results.pop("forces")
    with pytest.raises(ConfigurationError, match="frame 3 has no forces"):
        fit_pod(frames, tmp_path / "a", elements=ELEMENTS, settings=SMALL)
    with pytest.raises(ConfigurationError, match="species"):
        fit_pod(read_frames(TINY), tmp_path / "b", elements=("Cu", "Zn"), settings=SMALL)
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "x").write_text("")
    with pytest.raises(ConfigurationError, match="not empty"):
        fit_pod(read_frames(TINY), tmp_path / "c", elements=ELEMENTS, settings=SMALL)
    assert not (tmp_path / "a").exists()


def test_diverging_fit_fails(tmp_path):
    frames = read_frames(TINY)
    rng = np.random.default_rng(0)
    for a in frames:  # labels no smooth potential can follow
        a.calc.results["forces"] = rng.normal(0.0, 50.0, (len(a), 3))
    with pytest.raises(CalculationFailed, match="diverged"):
        fit_pod(frames, tmp_path / "m", elements=ELEMENTS, settings=SMALL)
    assert not (tmp_path / "m").exists()


def test_install_refuses_files_that_do_not_load(tiny_model, tmp_path):
    dest = tmp_path / "shipped"
    install_potential(tiny_model, dest)
    before = (dest / COEFF_FILE).read_text()
    bad = tmp_path / "bad"
    shutil.copytree(tiny_model, bad)
    (bad / COEFF_FILE).write_text("model_coefficients: 3 0 0\n1.0\n2.0\n3.0\n")
    with pytest.raises(CalculationFailed, match="does not load"):
        install_potential(bad, dest)
    assert (dest / COEFF_FILE).read_text() == before


@pytest.mark.mlip
@pytest.mark.parametrize("name", ["licuzn-pod", "licuzn-eam"])
def test_shipped_potential_loads_and_matches_teacher_lattice(sevenn_spec, name):
    from ase.build import bulk

    from lithiophilic.potentials import CalculatorSpec, get_calculator
    from lithiophilic.potentials.lammps import get_lammps_potential

    pot = get_lammps_potential(name)
    assert pot.elements == ELEMENTS
    assert pot.provenance["teacher"]["calculator_name"] == "sevenn"
    model = get_calculator(CalculatorSpec("lammps", {"potential": name}))
    teacher = get_calculator(sevenn_spec)
    grid = np.linspace(3.5, 3.75, 11)

    def a0(calc):
        e = []
        for a in grid:
            atoms = bulk("Cu", "fcc", a=a, cubic=True)
            atoms.calc = calc
            e.append(atoms.get_potential_energy())
        c = np.polyfit(grid, e, 4)
        fine = np.linspace(grid[0], grid[-1], 2001)
        return fine[np.argmin(np.polyval(c, fine))]

    assert a0(model) == pytest.approx(a0(teacher), rel=0.02)
