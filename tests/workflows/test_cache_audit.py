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
