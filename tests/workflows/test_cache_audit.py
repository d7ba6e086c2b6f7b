"""Audit: every job family that runs a calculation reuses stored results by cache key."""

from __future__ import annotations

import re
from pathlib import Path

import lithiophilic.workflows as wf

#: What starts a calculation in a job (an ASE calculator, a LAMMPS or GPAW run).
_RUNS_CALC = re.compile(
    r"get_calculator\(|\.calc\s*=|lammps\(|GPAW\(|gpaw_\w+\(|\.get_potential_energy\(|run_md(_mpi)?\("
)


def test_every_module_that_runs_a_calculation_reuses_by_cache_key():
    offenders = []
    for path in sorted(Path(wf.__file__).parent.rglob("*.py")):
        text = path.read_text()
        # engines without jobs (md_engine) are covered through the job modules that call them
        if "@job" in text and _RUNS_CALC.search(text) and "cache_key" not in text:
            offenders.append(path.name)
    assert not offenders, (
        f"{offenders} run calculations without the cache_key reuse of "
        "lithiophilic.workflows.base (run_ase_calc / calc_cache_key + a store look-up)"
    )


def test_calculation_jobs_get_the_store_to_look_up_stored_results():
    from pymatgen.core import Lattice, Structure

    from lithiophilic.workflows.base import AseRelaxMaker, AseStaticMaker

    cu = Structure(Lattice.cubic(3.6), ["Cu"], [[0, 0, 0]])
    for maker in (AseStaticMaker(), AseRelaxMaker()):
        job = maker.make(cu)
        assert job.config.expose_store, f"{type(maker).__name__} cannot reuse stored results"
        assert maker.reuse


def test_documents_record_the_torch_threads_they_were_computed_with(tmp_path, monkeypatch):
    """Thread counts round differently (a 0.02 eV E_b spread was measured): the document says."""
    import sys

    from ase.build import bulk
    from jobflow import JobStore, run_locally
    from maggma.stores import MemoryStore
    from pymatgen.io.ase import AseAtomsAdaptor

    from lithiophilic.potentials.registry import CalculatorSpec
    from lithiophilic.workflows.base import AseCalcDoc, AseStaticMaker

    monkeypatch.chdir(tmp_path)
    store = JobStore(MemoryStore())
    job = AseStaticMaker(calculator=CalculatorSpec("emt")).make(
        AseAtomsAdaptor.get_structure(bulk("Cu", "fcc", a=3.6))
    )
    run_locally(job, store=store, log=False, ensure_success=True)
    doc = store.query_one({"uuid": job.uuid})["output"]
    torch = sys.modules.get("torch")
    expected = None if torch is None else torch.get_num_threads()
    assert doc["torch_threads"] == expected
    # a document stored before the field existed still loads
    old = {k: v for k, v in doc.items() if k != "torch_threads"}
    assert AseCalcDoc.model_validate(old).torch_threads is None


def test_energy_only_static_has_its_own_key_and_a_stored_static_answers_it(tmp_path, monkeypatch):
    """``forces=False``: the energy alone, no max force; a stored static of the same input is reused."""
    import pytest
    from ase.build import bulk
    from jobflow import JobStore, run_locally
    from maggma.stores import MemoryStore
    from pymatgen.io.ase import AseAtomsAdaptor

    from lithiophilic.errors import ConfigurationError
    from lithiophilic.potentials.registry import CalculatorSpec
    from lithiophilic.workflows.base import AseCalcDoc, AseStaticMaker, run_ase_calc

    monkeypatch.chdir(tmp_path)
    emt = CalculatorSpec("emt")
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True)
    atoms.positions[0] += [0.1, 0.0, 0.0]  # a force on every atom
    cu = AseAtomsAdaptor.get_structure(atoms)

    full = run_ase_calc(cu, calculator=emt, task="static")
    energy = run_ase_calc(cu, calculator=emt, task="static", forces=False)
    assert full.max_force_ev_per_a > 0.1 and energy.max_force_ev_per_a is None
    assert energy.energy_ev == full.energy_ev
    assert energy.cache_key != full.cache_key  # an energy-only document never answers a static
    # an old document (a float max force) and a new one (None) both load
    assert AseCalcDoc.model_validate(energy.model_dump()).max_force_ev_per_a is None
    with pytest.raises(ConfigurationError, match="forces=False is for statics only"):
        run_ase_calc(cu, calculator=emt, task="relax", forces=False)

    store = JobStore(MemoryStore())
    first = AseStaticMaker(calculator=emt).make(cu)
    run_locally(first, store=store, log=False, ensure_success=True)
    second = AseStaticMaker(calculator=emt, forces=False).make(cu)
    run_locally(second, store=store, log=False, ensure_success=True)
    out = store.query_one({"uuid": second.uuid})["output"]
    assert out["reused_from_uuid"] == first.uuid and out["energy_ev"] == full.energy_ev
