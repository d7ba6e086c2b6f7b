"""One Li-aggregation MD replica in the ASE engine, as a job of the aggregation flow (issue 19).

:class:`AseLiAggregationMdMaker` is the ASE-engine twin of
:class:`~lithiophilic.workflows.md.LiAggregationMdMaker`: same substrate document, same Li
placement (``add_dispersed_li`` with seed + replica), same start protocol (Li held in-plane
during the minimisation, substrate-only thermalisation with the Li frozen, then the thermostat
on the substrate and the Li NVE; :mod:`~lithiophilic.workflows.md_ase`), same document
(:class:`~lithiophilic.workflows.md.LiAggregationDoc`) and the same rate job after it. What it
adds is the calculator: any registry calculator (``"sevenn"``: the teacher, which LAMMPS cannot
run) or ``"lammps:<potential>"`` (the distilled potential in the same engine, for a like-for-like
comparison with the teacher).

The run advances in restartable chunks whose state lives in the data directory
(``DATA_DIR/runs/ase-md/<cache key>``, next to the job folders; ``$LITHIOPHILIC_ASE_MD_DIR``
replaces the parent): a run stopped by the end of a
session, a wall-time limit or ``kill`` continues from its last stored chunk when the flow runs
again, and gives the same trajectory as an uninterrupted run. A completed replica is stored
like any other (cache key: input structure, calculator key, every MD setting; a stored one is
reused); a failed run check is reported with its reason and never analysed.
"""

from __future__ import annotations

import base64
import gzip
import json
import logging
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from jobflow import JobConfig, job

from lithiophilic.errors import ConfigurationError
from lithiophilic.provenance import structure_hash
from lithiophilic.workflows.base import calc_cache_key
from lithiophilic.workflows.md import (
    LiAggregationDoc,
    LiAggregationMdMaker,
    MdSubstrateDoc,
    _find_reusable_md,
    _substrate_atoms,
)
from lithiophilic.workflows.md_ase import (
    ASE_MD_PROTOCOL,
    AseMdSettings,
    ase_calculator_spec,
    run_ase_md,
    trajectory_path,
)

__all__ = ["ASE_MD_DIR", "ASE_MD_DIR_ENV", "AseLiAggregationMdMaker", "ase_md_workdir"]

logger = logging.getLogger(__name__)

#: Directory (beside the job folders) that holds the chunk states of ASE-engine runs.
ASE_MD_DIR = "ase-md"


#: Environment variable naming the directory of the chunk states (overrides the default).
ASE_MD_DIR_ENV = "LITHIOPHILIC_ASE_MD_DIR"


def ase_md_workdir(cache_key: str, job_dir: Path | None = None) -> Path:
    """Return the chunk-state directory of the run with ``cache_key``.

    ``$LITHIOPHILIC_ASE_MD_DIR/<key>`` if set, else beside the job folders
    (``DATA_DIR/runs/ase-md/<key>`` for local runs), so a rerun of the flow, which gets a new
    job folder, finds the state of the stopped run. Set the variable where job folders do not
    share a parent (jobflow-remote nests them by uuid).
    """
    root = os.environ.get(ASE_MD_DIR_ENV)
    if root:
        return Path(root).expanduser().resolve() / cache_key
    return (job_dir or Path.cwd()).parent / ASE_MD_DIR / cache_key


@dataclass
class AseLiAggregationMdMaker(LiAggregationMdMaker):
    """One Li-aggregation replica run by ASE with any calculator, in restartable chunks.

    Parameters
    ----------
    calculator
        Registry name of the calculator (``"sevenn"``, ``"chgnet"``) or
        ``"lammps:<potential>"``.
    chunk_steps
        Steps between stored states and run-time checks (a multiple of ``dump_every``).
    minimize_fmax_ev_per_a
        Force threshold of the start minimisation (Li held in-plane), eV/Å.

    The other parameters are those of :class:`~lithiophilic.workflows.md.LiAggregationMdMaker`
    (``potential`` is the substrate's: the slab and its lattice constant come from the
    substrate job, the potential's E(V) scan or its ``lattice_calculator``'s; it is not part of
    the replica's key or settings). The thermostat is Langevin (BAOAB) on the substrate
    only, the Li NVE; ``thermostat``, ``li_start``, ``thermostat_li``, ``minimize``,
    ``dump_all`` and ``n_mpi`` must keep that protocol's values.
    """

    name: str = "li aggregation md (ase)"
    calculator: str = "sevenn"
    chunk_steps: int = 200
    minimize_fmax_ev_per_a: float = 0.05

    def __post_init__(self) -> None:
        super().__post_init__()
        fixed = {
            "thermostat": "langevin",
            "li_start": "held-apart",
            "thermostat_li": False,
            "minimize": True,
            "dump_all": False,
            "n_mpi": 1,
        }
        for name, value in fixed.items():
            if getattr(self, name) != value:
                msg = (
                    f"{name}={getattr(self, name)!r} not allowed in the ASE engine (only "
                    f"{value!r}: Langevin on the substrate, Li NVE, Li held apart at the start, "
                    "Li-only frames, one process)"
                )
                raise ConfigurationError(msg)
        ase_calculator_spec(self.calculator)
        self.ase_settings(0)

    def ase_settings(self, replica: int) -> AseMdSettings:
        """Return the ASE run settings of ``replica`` (seed = ``seed + replica``).

        Raises
        ------
        ConfigurationError
            If ``chunk_steps`` is not a multiple of ``dump_every`` or a setting is out of range.
        """
        lmp = self.settings(replica)
        return AseMdSettings(
            calculator=self.calculator,
            temperature_k=lmp.temperature_k,
            timestep_fs=lmp.timestep_fs,
            n_steps=lmp.n_steps,
            chunk_steps=self.chunk_steps,
            dump_every=lmp.dump_every,
            seed=lmp.seed,
            damping_ps=lmp.damping_ps,
            equilibration_steps=lmp.equilibration_steps,
            minimize_fmax_ev_per_a=self.minimize_fmax_ev_per_a,
            max_temperature_factor=lmp.max_temperature_factor,
            li_max_height_a=lmp.li_max_height_a,
            li_max_depth_a=lmp.li_max_depth_a,
        )

    def settings_record(self, settings: AseMdSettings) -> dict[str, Any]:
        """Return the settings stored in the document: the ASE run's plus the protocol's names.

        ``potential`` is None: the study's LAMMPS potential plays no part in an ASE-engine run
        (the calculator is ``calculator``; the slab's lattice is in the input structure), so a
        teacher's run is one document whichever potential it is compared with.
        """
        return {
            **asdict(settings),
            "engine": "ase",
            "potential": None,
            "thermostat": "langevin",
            "check_every": self.chunk_steps,
            "li_start": "held-apart",
            "thermostat_li": False,
        }

    @job(
        output_schema=LiAggregationDoc,
        data=["structure", "trajectory", "thermo_log", "snapshots"],
        config=JobConfig(expose_store=True),
    )
    def make(
        self, substrate: MdSubstrateDoc | dict[str, Any], replica: int = 0
    ) -> LiAggregationDoc:
        """Place Li on ``substrate`` (as the LAMMPS path), run or continue the MD, analyse it."""
        from lithiophilic.potentials import calculator_provenance, check_elements
        from lithiophilic.potentials.registry import deferred_here

        t0 = time.perf_counter()
        slab, sub = _substrate_atoms(substrate)
        spec = ase_calculator_spec(self.calculator)
        check_elements(spec, {*slab.get_chemical_symbols(), "Li"})
        settings = self.ase_settings(replica)
        atoms, n_li = self.place_li(slab, settings.seed)
        record = self.settings_record(settings)
        run = {**record, "time_ps": self.time_ps, "cutoff_a": self.cutoff_a}
        input_hash = structure_hash(atoms)
        key = calc_cache_key(input_hash, spec, "ase-md-aggregation", run)
        # runs stored before the record dropped the LAMMPS potential have it in their key
        legacy = calc_cache_key(
            input_hash, spec, "ase-md-aggregation", run | {"potential": self.potential}
        )
        reused = _find_reusable_md(key, legacy)
        if reused is not None:
            return reused
        deferred_here(spec.name)  # the parallel runner computes this in a worker
        workdir = ase_md_workdir(key)
        result = run_ase_md(atoms, settings, workdir)
        status = "completed" if result["status"] == "completed" else "failed"
        traj = trajectory_path(workdir)
        analysis = self.analyze(traj, slab, settings.timestep_fs, status == "completed")
        prov = calculator_provenance(spec)
        pot_info, validated = _calculator_info(self.calculator, prov["settings"])
        steps = int(result["step"])
        return LiAggregationDoc(
            cache_key=key,
            calculator_name=prov["calculator_name"],
            calculator_version=str(prov["calculator_version"]),
            calculator_model=prov["calculator_model"] or self.calculator,
            material=sub["material"],
            replica=replica,
            seed=settings.seed,
            status=status,
            converged=status == "completed",
            failure_reason=result.get("failure") if status == "failed" else None,
            potential_info=pot_info,
            validated_for_science=validated,
            warnings=[] if validated else [f"{self.calculator} is not validated for science"],
            settings=record,
            temperature_k=settings.temperature_k,
            timestep_fs=settings.timestep_fs,
            time_ps=self.time_ps,
            time_ps_done=steps * settings.timestep_fs / 1000.0,
            n_steps_done=steps,
            n_mpi=1,
            wall_time_s=time.perf_counter() - t0,
            md_wall_time_s=float(result.get("md_wall_s", 0.0)),
            **self.placement_fields(atoms, sub, n_li),
            trajectory={
                "format": "extxyz",
                "compression": "gzip",
                "encoding": "base64",
                "columns": "Li positions; info step, time_ps",
                "dump_every": settings.dump_every,
                "timestep_fs": settings.timestep_fs,
                "content": base64.b64encode(gzip.compress(traj.read_bytes())).decode("ascii"),
            },
            thermo_log=json.dumps(
                {k: v for k, v in result.items() if k != "status"}, indent=1, default=str
            ),
            start_protocol=ASE_MD_PROTOCOL,
            **analysis,
            dir_name=str(workdir),
        )


def _calculator_info(name: str, settings: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Return (info, validated_for_science) of an ASE-engine calculator.

    A ``lammps:<potential>`` carries its potential's flag; a registry MLIP (the teacher) is the
    reference the distilled potentials are judged against, so it counts as validated.
    """
    from lithiophilic.potentials.lammps import get_lammps_potential

    if name.startswith("lammps:"):
        pot = get_lammps_potential(name.split(":", 1)[1])
        return pot.info() | {"directory": str(pot.directory)}, pot.validated_for_science
    return {"calculator": name, "settings": settings}, True
