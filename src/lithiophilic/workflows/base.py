"""Calculator jobs shared by every family: a static energy and a relaxation with an ASE calculator.

Both Makers take a :class:`~lithiophilic.potentials.CalculatorSpec`, build the live
calculator when the job runs, and return an :class:`AseCalcDoc`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from jobflow import CURRENT_JOB, JobConfig, Maker, job
from pydantic import BaseModel, ConfigDict, Field
from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor

from lithiophilic import defaults
from lithiophilic.errors import CalculationFailed, ConfigurationError, NotConvergedError
from lithiophilic.potentials import (
    CalculatorSpec,
    calculator_provenance,
    check_elements,
    get_calculator,
)
from lithiophilic.provenance import LITHIOPHILIC_VERSION, structure_hash
from lithiophilic.workflows.trajectory import FileTrajectory, attach_trajectory

__all__ = [
    "AseCalcDoc",
    "AseRelaxMaker",
    "AseStaticMaker",
    "CalculatorProvenance",
    "find_reusable_output",
    "run_ase_calc",
]

logger = logging.getLogger(__name__)

_OPTIMIZERS = ("FIRE", "BFGS", "LBFGS", "BFGSLineSearch")


class CalculatorProvenance(BaseModel):
    """Provenance fields every result document carries."""

    calculator_name: str = Field(description="Registry name of the calculator.")
    calculator_version: str | None = Field(description="Version of the calculator's package.")
    calculator_model: str | None = Field(description="Model identifier (e.g. 7net-0), if any.")
    lithiophilic_version: str = Field(LITHIOPHILIC_VERSION, description="lithiophilic version.")


class AseCalcDoc(CalculatorProvenance):
    """Result of one static or relaxation job with an ASE calculator."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    doc_type: Literal["ase_calc"] = Field("ase_calc", description="Document family.")
    task: Literal["static", "relax"] = Field(description="What was run.")
    label: str = Field("", description="Human-readable label (material, facet, termination).")
    structure: Structure = Field(description="Final structure (relaxed for a relaxation).")
    input_structure_hash: str = Field(
        description="Hash of the input structure (provenance.structure_hash)."
    )
    structure_hash: str = Field(description="Hash of the final structure.")
    formula: str = Field(description="Reduced formula.")
    n_atoms: int = Field(description="Number of atoms.")
    energy_ev: float = Field(description="Total potential energy, eV.")
    energy_per_atom_ev: float = Field(description="Energy per atom, eV/atom.")
    max_force_ev_per_a: float | None = Field(
        description="Largest force on a free atom at the end, eV/Å (None: an energy-only "
        "static, forces not computed)."
    )
    stress_ev_per_a3: list[float] | None = Field(
        None, description="Voigt stress at the end, eV/Å³ (if available)."
    )
    volume_a3: float = Field(description="Cell volume, Å³.")
    converged: bool = Field(
        description="Relaxation reached fmax (and stress) within max_steps; True for statics."
    )
    n_steps: int = Field(0, description="Optimizer steps taken.")
    relax_cell: bool = Field(False, description="Whether the cell was relaxed.")
    fmax_ev_per_a: float | None = Field(None, description="Force convergence threshold, eV/Å.")
    max_steps: int | None = Field(None, description="Step limit.")
    optimizer: str | None = Field(None, description="ASE optimizer class.")
    calculator_package: str = Field(description="Python package providing the calculator.")
    calculator_settings: dict[str, Any] = Field(description="Effective calculator settings.")
    dir_name: str = Field(description="Directory the job ran in.")
    wall_time_s: float = Field(description="Wall time of the calculation, s.")
    torch_threads: int | None = Field(
        None,
        description=(
            "torch intra-op threads of the process that evaluated the model (None: torch not "
            "loaded, or a document from before this field). Thread counts round floats "
            "differently; a relaxation on a soft surface can end 0.02 eV apart "
            "(bench/results/workers_quiet.json)."
        ),
    )
    cache_key: str = Field(
        description="Hash of what determines the result: input structure hash, calculator "
        "(name, package version, settings), task and relaxation settings."
    )
    reused_from_uuid: str | None = Field(
        None,
        description="uuid of the stored job whose identical result was reused (no new calculation).",
    )
    trajectory: dict[str, Any] | None = Field(
        None,
        description="Relaxation steps kept on request (AseRelaxMaker.keep_trajectory): a "
        "workflows.trajectory.RelaxTrajectory dict (energies_ev, positions_a, forces_ev_per_a, "
        "cells_a per ionic step), in the data store. Output only, not in the cache key.",
    )
    source_doc: str | None = Field(
        None,
        description="Module.class of the task document this was read from (atomate2 "
        "ForceFieldTaskDocument, emmet VASP TaskDoc; workflows.task_docs.as_calc_doc); "
        "None for a result computed by lithiophilic.",
    )


def calc_cache_key(
    input_hash: str,
    calculator: CalculatorSpec,
    task: str,
    relax_settings: dict[str, Any] | None = None,
) -> str:
    """Return the key under which a calculation's result is reused."""
    blob = json.dumps([input_hash, calculator.key(), task, relax_settings or {}], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def find_reusable_output(criteria: dict[str, Any]) -> dict[str, Any] | None:
    """Return the stored output matching ``criteria`` in the running job's store, if any.

    The output comes back as a dict with ``reused_from_uuid`` set to the job that computed
    it (kept through chains of reuse); every job family's cache-key look-up goes through here.
    """
    store = getattr(CURRENT_JOB, "store", None)
    if store is None:
        return None
    doc = store.query_one(criteria, properties=["uuid", "output"], load=True)
    if doc is None:
        return None
    out = dict(doc["output"])
    out["reused_from_uuid"] = out.get("reused_from_uuid") or doc["uuid"]
    return out


def _find_reusable(cache_key: str) -> AseCalcDoc | None:
    """Return a converged stored result with this key from the running job's store, if any."""
    out = find_reusable_output(
        {"output.doc_type": "ase_calc", "output.cache_key": cache_key, "output.converged": True}
    )
    if out is None:
        return None
    out["structure"] = Structure.from_dict(out["structure"])
    return AseCalcDoc.model_validate(out)


def _max_free_force(atoms: Any) -> float:
    forces = atoms.get_forces(apply_constraint=True)
    return float(np.sqrt((forces**2).sum(axis=1)).max()) if len(forces) else 0.0


def _final_stress(atoms: Any) -> list[float] | None:
    """Voigt stress of a fully periodic cell, eV/Å³; None for slabs/molecules or no stress."""
    from ase.calculators.calculator import PropertyNotImplementedError

    if not atoms.pbc.all():
        return None
    try:
        return [float(s) for s in atoms.get_stress()]
    except PropertyNotImplementedError:  # calculator that does not compute stress
        return None


def _relax(
    atoms: Any,
    relax_cell: bool,
    fmax_ev_per_a: float,
    max_steps: int,
    optimizer: str,
    keep_trajectory: bool,
) -> tuple[bool, int, Any]:
    """Relax ``atoms`` (calculator attached); return (converged, steps, trajectory or None)."""
    from ase import optimize
    from ase.filters import FrechetCellFilter

    logfile = "opt.log" if os.access(".", os.W_OK) else None
    if getattr(atoms.calc, "relaxes_in_one_launch", False):
        # GPAW under MPI: the whole relaxation in one mpiexec launch (wave functions kept)
        converged, n_steps = atoms.calc.relax_in_one_launch(
            atoms,
            optimizer=optimizer,
            fmax_ev_per_a=fmax_ev_per_a,
            max_steps=max_steps,
            relax_cell=relax_cell,
            logfile=logfile,
        )
        recorder = (
            FileTrajectory(atoms.calc.last_relaxation["trajectory"]) if keep_trajectory else None
        )
        return bool(converged), int(n_steps), recorder
    target = FrechetCellFilter(atoms) if relax_cell else atoms
    opt = getattr(optimize, optimizer)(target, logfile=logfile)
    recorder = attach_trajectory(opt, atoms) if keep_trajectory else None
    converged = bool(opt.run(fmax=fmax_ev_per_a, steps=max_steps))
    return converged, int(opt.get_number_of_steps()), recorder


def run_ase_calc(
    structure: Structure,
    *,
    calculator: CalculatorSpec,
    task: Literal["static", "relax"],
    relax_cell: bool = False,
    fmax_ev_per_a: float = defaults.SLAB_FMAX_EV_PER_A,
    max_steps: int = defaults.SLAB_MAX_STEPS,
    optimizer: str = defaults.OPTIMIZER,
    allow_unconverged: bool = False,
    label: str = "",
    reuse: bool = True,
    keep_trajectory: bool = False,
    forces: bool = True,
) -> AseCalcDoc:
    """Run a static or a relaxation of ``structure`` and return its document.

    Fixed atoms are taken from the structure's ``selective_dynamics`` site property (as
    written by pymatgen's ``AseAtomsAdaptor`` from an ASE ``FixAtoms`` constraint).

    With ``reuse`` (and when run as a job with its store exposed), a converged result stored
    under the same :func:`calc_cache_key` is returned instead of recomputing.
    With ``keep_trajectory`` a relaxation records its ionic steps in ``trajectory``
    (:mod:`lithiophilic.workflows.trajectory`; a GPAW relaxation in one MPI launch is read back
    from its ``relax.traj``).
    ``forces=False`` (statics only) asks the calculator for the energy alone: a DFT code then
    skips the forces after its SCF (GPAW LCAO: 3-6 SCF iterations' worth,
    bench/results/verify_levers.json); ``max_force_ev_per_a`` is None. Its cache key differs
    from a static's, and a stored static of the same input answers it too.

    Raises
    ------
    ConfigurationError
        If the calculator does not cover the structure's elements.
    CalculationFailed
        If the energy or forces are not finite.
    NotConvergedError
        If the relaxation did not converge and ``allow_unconverged`` is False.
    """
    atoms = AseAtomsAdaptor.get_atoms(structure)
    check_elements(calculator, set(atoms.get_chemical_symbols()))
    input_hash = structure_hash(atoms)
    relax_settings = (
        {
            "relax_cell": relax_cell,
            "fmax_ev_per_a": fmax_ev_per_a,
            "max_steps": max_steps,
            "optimizer": optimizer,
        }
        if task == "relax"
        else None
    )
    if not forces and task != "static":
        msg = f"forces=False is for statics only (task {task!r} needs forces)"
        raise ConfigurationError(msg)
    cache_key = calc_cache_key(
        input_hash, calculator, task, relax_settings if forces else {"forces": False}
    )
    if reuse:
        found = _find_reusable(cache_key)
        if found is None and not forces:  # a stored static (with forces) has the same energy
            found = _find_reusable(calc_cache_key(input_hash, calculator, task))
        if found is not None:
            logger.info("%s %s: reusing stored result %s", task, label, found.reused_from_uuid)
            found.label = label
            return found
    atoms.calc = get_calculator(calculator)
    # read by DFT calculators (GpawCalculator); set every time: MLIP instances are cached
    atoms.calc.energy_only = not forces
    t0 = time.perf_counter()
    n_steps, converged, recorder = 0, True, None
    if task == "relax":
        converged, n_steps, recorder = _relax(
            atoms, relax_cell, fmax_ev_per_a, max_steps, optimizer, keep_trajectory
        )
    # forces first: a calculator computing both in one evaluation answers the energy from it
    fmax_final = _max_free_force(atoms) if forces else None
    energy = float(atoms.get_potential_energy())
    if not (math.isfinite(energy) and math.isfinite(fmax_final or 0.0)):
        msg = f"{label or structure.formula}: non-finite energy ({energy}) or forces from {calculator.name}"
        raise CalculationFailed(msg)
    stress = _final_stress(atoms)
    wall = time.perf_counter() - t0
    if not converged:
        msg = (
            f"{label or structure.formula}: relaxation not converged after {n_steps} steps "
            f"(max force {fmax_final:.3f} eV/Å > fmax {fmax_ev_per_a} eV/Å)"
        )
        if not allow_unconverged:
            raise NotConvergedError(msg)
        logger.warning(msg)
    logger.info(
        "%s %s: E = %.5f eV (%d steps, %.1f s)",
        task,
        label or structure.formula,
        energy,
        n_steps,
        wall,
    )
    prov = calculator_provenance(calculator)
    final = AseAtomsAdaptor.get_structure(atoms)
    final.properties = dict(structure.properties)
    return AseCalcDoc(
        task=task,
        label=label,
        structure=final,
        input_structure_hash=input_hash,
        structure_hash=structure_hash(atoms),
        formula=final.composition.reduced_formula,
        n_atoms=len(atoms),
        energy_ev=energy,
        energy_per_atom_ev=energy / len(atoms),
        max_force_ev_per_a=fmax_final,
        stress_ev_per_a3=stress,
        volume_a3=float(atoms.get_volume()) if atoms.pbc.all() else float("nan"),
        converged=converged,
        n_steps=n_steps,
        relax_cell=relax_cell if task == "relax" else False,
        fmax_ev_per_a=fmax_ev_per_a if task == "relax" else None,
        max_steps=max_steps if task == "relax" else None,
        optimizer=optimizer if task == "relax" else None,
        calculator_name=prov["calculator_name"],
        calculator_package=prov["calculator_package"],
        calculator_version=prov["calculator_version"],
        calculator_model=prov["calculator_model"],
        calculator_settings=prov["settings"],
        dir_name=str(Path.cwd()),
        wall_time_s=wall,
        torch_threads=_torch_threads(),
        cache_key=cache_key,
        trajectory=recorder.as_dict() if recorder is not None else None,
    )


def _torch_threads() -> int | None:
    """Return torch's intra-op thread count if torch is loaded in this process."""
    import sys

    torch = sys.modules.get("torch")
    return int(torch.get_num_threads()) if torch is not None else None


def _check_spec(calculator: object) -> None:
    if not isinstance(calculator, CalculatorSpec):
        msg = f"calculator must be a CalculatorSpec, got {type(calculator).__name__}"
        raise ConfigurationError(msg)


@dataclass
class AseStaticMaker(Maker):
    """Single-point energy and forces with a registry calculator.

    Parameters
    ----------
    name
        Job name.
    calculator
        Calculator spec (registry name + kwargs); default SevenNet-0.
    reuse
        Return a stored converged result with the same input, calculator and settings
        instead of recomputing.
    forces
        Also compute the forces (False: the energy alone, ``max_force_ev_per_a`` None; a DFT
        code skips its force calculation after the SCF).
    """

    name: str = "static"
    calculator: CalculatorSpec = field(default_factory=CalculatorSpec)
    reuse: bool = True
    forces: bool = True

    def __post_init__(self) -> None:
        _check_spec(self.calculator)

    @job(output_schema=AseCalcDoc, config=JobConfig(expose_store=True))
    def make(
        self, structure: Structure, prev_dir: str | Path | None = None, *, label: str = ""
    ) -> AseCalcDoc:
        """Compute the energy of ``structure``; returns an :class:`AseCalcDoc`.

        ``prev_dir`` is accepted for atomate2's Maker contract and not used.
        """
        return run_ase_calc(
            structure,
            calculator=self.calculator,
            task="static",
            label=label,
            reuse=self.reuse,
            forces=self.forces,
        )


@dataclass
class AseRelaxMaker(Maker):
    """Relax positions (and optionally the cell) with a registry calculator.

    Parameters
    ----------
    name
        Job name.
    calculator
        Calculator spec; default SevenNet-0.
    relax_cell
        Relax the cell too (ASE ``FrechetCellFilter``); use for bulk.
    fmax_ev_per_a
        Force threshold (and stress threshold, in eV/Å per unit volume scaling, with
        ``relax_cell``), eV/Å.
    max_steps
        Step limit.
    optimizer
        ASE optimizer: ``"FIRE"``, ``"BFGS"``, ``"LBFGS"`` or ``"BFGSLineSearch"``.
    allow_unconverged
        Return the document with ``converged=False`` instead of raising
        :class:`~lithiophilic.errors.NotConvergedError`. Downstream jobs must check it.
    reuse
        Return a stored converged result with the same input, calculator and settings
        instead of recomputing.
    keep_trajectory
        Keep every ionic step (energy, positions, forces, cell) in the document's
        ``trajectory``, stored in the ``data`` store; output only, the cache key is unchanged.
    """

    name: str = "relax"
    calculator: CalculatorSpec = field(default_factory=CalculatorSpec)
    relax_cell: bool = False
    fmax_ev_per_a: float = defaults.SLAB_FMAX_EV_PER_A
    max_steps: int = defaults.SLAB_MAX_STEPS
    optimizer: str = defaults.OPTIMIZER
    allow_unconverged: bool = False
    reuse: bool = True
    keep_trajectory: bool = False

    def __post_init__(self) -> None:
        _check_spec(self.calculator)
        if self.optimizer not in _OPTIMIZERS:
            msg = f"optimizer: {self.optimizer!r} is not one of {_OPTIMIZERS}"
            raise ConfigurationError(msg)
        if not self.fmax_ev_per_a > 0:
            msg = f"fmax_ev_per_a must be > 0, got {self.fmax_ev_per_a}"
            raise ConfigurationError(msg)
        if self.max_steps < 1:
            msg = f"max_steps must be >= 1, got {self.max_steps}"
            raise ConfigurationError(msg)

    @job(output_schema=AseCalcDoc, data=["trajectory"], config=JobConfig(expose_store=True))
    def make(
        self, structure: Structure, prev_dir: str | Path | None = None, *, label: str = ""
    ) -> AseCalcDoc:
        """Relax ``structure``; returns an :class:`AseCalcDoc`.

        ``prev_dir`` is accepted for atomate2's Maker contract and not used.
        """
        return run_ase_calc(
            structure,
            calculator=self.calculator,
            task="relax",
            relax_cell=self.relax_cell,
            fmax_ev_per_a=self.fmax_ev_per_a,
            max_steps=self.max_steps,
            optimizer=self.optimizer,
            allow_unconverged=self.allow_unconverged,
            label=label,
            reuse=self.reuse,
            keep_trajectory=self.keep_trajectory,
        )
