"""Relaxation trajectories kept on request: in the data store, never in the cache key."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import fcc111
from ase.io import read
from jobflow import run_locally
from pymatgen.io.ase import AseAtomsAdaptor

from lithiophilic.potentials import CalculatorSpec
from lithiophilic.workflows.base import AseRelaxMaker
from lithiophilic.workflows.trajectory import RelaxTrajectory

FMAX = 0.05


def _rattled_cu_slab():
    atoms = fcc111("Cu", size=(2, 2, 3), vacuum=6.0)
    atoms.rattle(stdev=0.08, seed=3)
    return AseAtomsAdaptor.get_structure(atoms)


def test_relaxation_keeps_its_steps_in_the_data_store_and_the_same_cache_key(
    embedded_store, in_tmp
):
    structure = _rattled_cu_slab()
    emt = CalculatorSpec("emt")
    kept = AseRelaxMaker(calculator=emt, fmax_ev_per_a=FMAX, keep_trajectory=True).make(structure)
    run_locally(kept, store=embedded_store, create_folders=True, ensure_success=True)

    raw = embedded_store.query_one({"uuid": kept.uuid}, load=False)["output"]
    assert raw["trajectory"]["store"] == "data" and raw["trajectory"]["blob_uuid"]
    doc = embedded_store.query_one({"uuid": kept.uuid}, load=True)["output"]
    traj = RelaxTrajectory.from_doc(doc)
    assert traj.n_frames == doc["n_steps"] + 1 >= 3  # the input, then every ionic step
    assert traj.energies_ev[-1] == pytest.approx(doc["energy_ev"], abs=1e-12)
    assert traj.energies_ev[0] > traj.energies_ev[-1]
    final = AseAtomsAdaptor.get_atoms(structure.from_dict(doc["structure"]))
    assert np.allclose(traj.positions_a[-1], final.positions, atol=1e-8)
    assert np.allclose(traj.positions_a[0], structure.cart_coords, atol=1e-8)
    last_forces = np.linalg.norm(traj.forces_ev_per_a[-1], axis=1)
    assert last_forces.max() == pytest.approx(doc["max_force_ev_per_a"], abs=1e-9)
    assert last_forces.max() < FMAX < np.linalg.norm(traj.forces_ev_per_a[0], axis=1).max()

    frames = read(traj.write_extxyz(in_tmp / "relax.extxyz"), index=":")
    assert len(frames) == traj.n_frames
    assert frames[-1].get_potential_energy() == pytest.approx(doc["energy_ev"])

    # the trajectory is output, not input: the same relaxation without it has the same key,
    # so it is reused from the store (nothing recomputed)
    plain = AseRelaxMaker(calculator=emt, fmax_ev_per_a=FMAX).make(structure)
    run_locally(plain, store=embedded_store, create_folders=True, ensure_success=True)
    again = embedded_store.query_one({"uuid": plain.uuid}, load=False)["output"]
    assert again["cache_key"] == doc["cache_key"]
    assert again["reused_from_uuid"] == kept.uuid


def test_no_trajectory_unless_asked(embedded_store, in_tmp):
    job = AseRelaxMaker(calculator=CalculatorSpec("emt"), fmax_ev_per_a=FMAX).make(
        _rattled_cu_slab()
    )
    run_locally(job, store=embedded_store, create_folders=True, ensure_success=True)
    doc = embedded_store.query_one({"uuid": job.uuid}, load=True)["output"]
    assert doc["trajectory"] is None and RelaxTrajectory.from_doc(doc) is None
    assert embedded_store.additional_stores["data"].count({"job_uuid": job.uuid}) == 0
    with pytest.raises(ValueError, match="load=True"):
        RelaxTrajectory.from_doc({"trajectory": {"blob_uuid": "x", "store": "data"}})


def test_file_trajectory_matches_the_recorder(tmp_path):
    """A relaxation read back from its ASE .traj (GPAW in one MPI launch) gives the same steps."""
    from ase.build import fcc111
    from ase.calculators.emt import EMT
    from ase.constraints import FixAtoms
    from ase.optimize import BFGS

    from lithiophilic.workflows.trajectory import FileTrajectory, attach_trajectory

    atoms = fcc111("Cu", size=(1, 1, 3), vacuum=6.0)
    atoms.set_constraint(FixAtoms(indices=[0]))
    atoms.positions[2, 2] += 0.15
    atoms.calc = EMT()
    opt = BFGS(atoms, logfile=None, trajectory=str(tmp_path / "relax.traj"))
    recorder = attach_trajectory(opt, atoms)
    opt.run(fmax=0.01, steps=50)
    from_file = FileTrajectory(tmp_path / "relax.traj").as_dict()
    from_recorder = recorder.as_dict()
    assert from_file["n_frames"] == from_recorder["n_frames"] > 2
    assert from_file["energies_ev"] == pytest.approx(from_recorder["energies_ev"], abs=1e-10)
    np.testing.assert_allclose(from_file["positions_a"], from_recorder["positions_a"], atol=1e-10)
    assert from_file["energies_ev"][-1] < from_file["energies_ev"][0]
