"""GPAW relaxations with 2 MPI ranks run inside one ``mpiexec`` launch (real GPAW, tiny cells)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from ase.build import bulk, fcc111
from ase.constraints import FixAtoms
from pymatgen.io.ase import AseAtomsAdaptor

from lithiophilic.errors import NotConvergedError
from lithiophilic.potentials import CalculatorSpec
from lithiophilic.workflows.base import run_ase_calc

pytestmark = pytest.mark.slow

A_CU = 3.63
#: Cheap settings: the 3-atom Cu(111) slab's SCF takes a few seconds.
SLAB = {"ecut_ev": 200.0, "kpts": [3, 3, 1]}


def _slab():
    """Return a 3-layer Cu(111) slab, bottom layer fixed, top layer 0.15 Å too far out."""
    slab = fcc111("Cu", (1, 1, 3), a=A_CU, vacuum=6.0)
    slab.set_constraint(FixAtoms(indices=[0]))
    slab.positions[2, 2] += 0.15
    return AseAtomsAdaptor.get_structure(slab)


def _launches(run_dir):
    """Return the launches listed in ``run_dir/gpaw-mpi/launches.jsonl``."""
    log = run_dir / "gpaw-mpi" / "launches.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.is_file() else []


def _relax(structure, settings, run_dir, monkeypatch, **kw):
    run_dir.mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(run_dir)  # GpawCalculator's directory is the job's directory
    kw = {"fmax_ev_per_a": 0.05, "max_steps": 20, "optimizer": "BFGS", **kw}
    return run_ase_calc(
        structure,
        calculator=CalculatorSpec("gpaw", settings),
        task="relax",
        reuse=False,
        **kw,
    )


def test_two_ranks_relax_in_one_launch_like_one_rank_in_process(tmp_path, monkeypatch):
    structure = _slab()
    one = _relax(structure, {**SLAB, "nprocs": 1}, tmp_path / "n1", monkeypatch)
    two = _relax(structure, {**SLAB, "nprocs": 2}, tmp_path / "n2", monkeypatch)
    launches = _launches(tmp_path / "n2")
    assert [(run["task"], run["nprocs"]) for run in launches] == [("relax", 2)]  # one launch
    assert two.converged and two.n_steps >= 2 and two.max_force_ev_per_a < 0.05
    assert one.converged
    assert two.energy_ev == pytest.approx(one.energy_ev, abs=1e-3)
    assert abs(two.n_steps - one.n_steps) <= 1
    np.testing.assert_allclose(two.structure.cart_coords, one.structure.cart_coords, atol=5e-3)
    # the fixed atom did not move; the top layer relaxed back inwards
    np.testing.assert_array_equal(two.structure.cart_coords[0], structure.cart_coords[0])
    assert two.structure.cart_coords[2, 2] < structure.cart_coords[2, 2] - 0.05
    assert two.structure.site_properties["selective_dynamics"][0] == [False] * 3
    # the same document as in-process except where it ran and how long it took
    skip = {"dir_name", "wall_time_s", "energy_ev", "energy_per_atom_ev", "structure"}
    skip |= {"structure_hash", "max_force_ev_per_a", "n_steps", "volume_a3"}
    assert np.isnan(one.volume_a3) and np.isnan(two.volume_a3)  # a slab has no volume
    same_one, same_two = one.model_dump(exclude=skip), two.model_dump(exclude=skip)
    nprocs = [same["calculator_settings"].pop("nprocs") for same in (same_one, same_two)]
    assert nprocs == [1, 2]
    assert same_two == same_one
    assert two.cache_key == one.cache_key  # nprocs is a runtime setting
    run_dir = tmp_path / "n2" / "gpaw-mpi"
    assert (run_dir / "relax.traj").is_file() and (run_dir / "relax.txt").is_file()
    assert len((tmp_path / "n2" / "opt.log").read_text().splitlines()) == two.n_steps + 2


def test_static_and_bulk_cell_relaxation_are_one_launch_each(tmp_path, monkeypatch):
    structure = _slab()
    monkeypatch.chdir(tmp_path)
    static = run_ase_calc(
        structure, calculator=CalculatorSpec("gpaw", {**SLAB, "nprocs": 2}), task="static"
    )
    assert static.converged and static.stress_ev_per_a3 is None
    assert [run["task"] for run in _launches(tmp_path)] == ["static"]
    # a bulk cell relaxation: the stress comes back from the launch (no second launch)
    cu = AseAtomsAdaptor.get_structure(bulk("Cu", "fcc", a=3.50))
    doc = _relax(
        cu,
        {"ecut_ev": 250.0, "kpts": [4, 4, 4], "nprocs": 2},
        tmp_path / "bulk",
        monkeypatch,
        relax_cell=True,
        fmax_ev_per_a=0.02,
    )
    assert [run["task"] for run in _launches(tmp_path / "bulk")] == ["relax"]
    assert doc.converged and doc.relax_cell and doc.stress_ev_per_a3 is not None
    assert doc.volume_a3 > cu.volume * 1.02  # expanded from a = 3.50 Å
    assert max(abs(s) for s in doc.stress_ev_per_a3[:3]) < 0.02


def test_unconverged_scf_in_one_launch_is_reported_never_used(tmp_path, monkeypatch):
    # allow_unconverged covers the optimizer, never the SCF
    with pytest.raises(
        NotConvergedError, match=r"evaluation 1: GPAW SCF did not converge within maxiter=2"
    ):
        _relax(
            _slab(),
            {**SLAB, "maxiter": 2, "nprocs": 2},
            tmp_path,
            monkeypatch,
            allow_unconverged=True,
        )
    assert [run["returncode"] for run in _launches(tmp_path)] == [3]
    result = json.loads((tmp_path / "gpaw-mpi" / "result.json").read_text())
    assert result["status"] == "not_converged"


def test_optimizer_not_converged_in_one_launch_as_in_process(tmp_path, monkeypatch):
    """``converged`` False reaches run_ase_calc, which raises or (allowed) flags it."""
    doc = _relax(
        _slab(), {**SLAB, "nprocs": 2}, tmp_path, monkeypatch, max_steps=1, allow_unconverged=True
    )
    assert not doc.converged and doc.n_steps == 1 and doc.max_force_ev_per_a > 0.05
    assert len(_launches(tmp_path)) == 1


def test_lcao_bulk_static_is_one_launch_and_energy_only_skips_the_forces(tmp_path, monkeypatch):
    """LCAO has no stress: asking for it after the energy must not start a second SCF launch.

    (It did: run_ase_calc asks a bulk cell for its stress, and every LCAO bulk reference of the
    default verify ran its SCF twice on 2 ranks.) ``forces=False`` asks the worker for the
    energy alone: GPAW prints no forces, the energy is the same.
    """
    cu = AseAtomsAdaptor.get_structure(bulk("Cu", "fcc", a=A_CU))
    spec = CalculatorSpec("gpaw", {"preset": "lcao-dzp", "kpts": [4, 4, 4], "nprocs": 2})
    docs = {}
    for forces in (True, False):
        run_dir = tmp_path / f"forces-{forces}"
        run_dir.mkdir()
        monkeypatch.chdir(run_dir)
        docs[forces] = run_ase_calc(cu, calculator=spec, task="static", forces=forces, reuse=False)
        assert [run["task"] for run in _launches(run_dir)] == ["static"]  # one SCF
        sent = json.loads((run_dir / "gpaw-mpi" / "input.json").read_text())["options"]
        assert sent["properties"] == (["energy", "forces"] if forces else ["energy"])
        log = (run_dir / "gpaw-mpi" / "step-001.txt").read_text()
        assert ("Force computation time" in log) == forces
    assert docs[True].stress_ev_per_a3 is None and docs[False].stress_ev_per_a3 is None
    assert docs[True].max_force_ev_per_a < 1e-3 and docs[False].max_force_ev_per_a is None
    assert docs[False].energy_ev == pytest.approx(docs[True].energy_ev, abs=1e-6)
