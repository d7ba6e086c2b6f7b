"""Training data for the distilled LAMMPS potential: teacher-labelled configurations as a flow.

One job per static configuration family and one per teacher-MD run, so an interrupted
campaign keeps what finished.  Each job returns a :class:`TrainingSetDoc` whose frames (an
extxyz string with energy, raw forces, family, group and split) go to the additional
``data`` store; :func:`frames_from_docs` turns stored documents back into ASE frames
(``lithiophilic potentials data`` exports them as extxyz).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from jobflow import Flow, JobConfig, Maker, job
from pydantic import Field

from lithiophilic.errors import ConfigurationError
from lithiophilic.potentials import CalculatorSpec, calculator_provenance, get_calculator
from lithiophilic.potentials.distill.frames import (
    STATIC_FAMILIES,
    MdRunSpec,
    dataset_hash,
    frames_from_extxyz,
    frames_to_extxyz,
    label_atoms,
    make_md_run_specs,
    make_static_configs,
    run_teacher_md,
)
from lithiophilic.provenance import LITHIOPHILIC_VERSION, structure_hash
from lithiophilic.workflows.base import CalculatorProvenance, find_reusable_output

__all__ = [
    "TrainingDataMaker",
    "TrainingSetDoc",
    "frames_from_docs",
    "run_training_data",
    "training_data_flow",
    "training_set_outputs",
]

logger = logging.getLogger(__name__)


class TrainingSetDoc(CalculatorProvenance):
    """Teacher-labelled frames of one configuration family or one teacher-MD run."""

    doc_type: Literal["training_set"] = Field("training_set", description="Document family.")
    family: str = Field(description="Configuration family (e.g. bulk_cu, md_cuzn111_li).")
    kind: Literal["static", "md"] = Field(description="Static configurations or MD snapshots.")
    n_frames: int = Field(description="Number of labelled frames.")
    n_atoms: int = Field(description="Total number of atoms over the frames.")
    n_test_frames: int = Field(description="Frames held out (split = test).")
    dataset_hash: str = Field(description="Hash of structures and labels (training.dataset_hash).")
    frames_extxyz: str = Field(
        description="Frames as extxyz: energy (eV), raw forces (eV/Å), info family/group/split."
    )
    settings: dict[str, Any] = Field(description="Generator settings (seed, sizes, MD settings).")
    calculator_settings: dict[str, Any] = Field(description="Effective teacher settings.")
    teacher_time_s: float = Field(description="Wall time spent in the teacher, s.")
    dir_name: str = Field(description="Directory the job ran in.")
    converged: bool = Field(True, description="Always True (labels are single points).")
    cache_key: str = Field(
        "",
        description="Hash of the inputs (configurations or MD spec and settings) and the "
        "teacher (name, version, settings); a stored set with the same key is reused.",
    )
    reused_from_uuid: str | None = Field(
        None, description="uuid of the stored identical set that was reused (no teacher call)."
    )


def _training_cache_key(inputs: Any, calculator: CalculatorSpec) -> str:
    """Key of a labelling job: its inputs and the teacher's identity and settings."""
    blob = json.dumps([inputs, calculator.key()], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def _find_reusable_set(cache_key: str) -> TrainingSetDoc | None:
    """Return a stored training set with this key from the running job's store, if any."""
    out = find_reusable_output({"output.doc_type": "training_set", "output.cache_key": cache_key})
    return None if out is None else TrainingSetDoc.model_validate(out)


def _doc(
    frames: list[Any],
    *,
    family: str,
    kind: str,
    calculator: CalculatorSpec,
    settings: dict,
    t: float,
    cache_key: str,
) -> TrainingSetDoc:
    prov = calculator_provenance(calculator)
    return TrainingSetDoc(
        cache_key=cache_key,
        calculator_name=prov["calculator_name"],
        calculator_version=prov["calculator_version"],
        calculator_model=prov.get("calculator_model"),
        family=family,
        kind=kind,  # type: ignore[arg-type]
        n_frames=len(frames),
        n_atoms=sum(len(a) for a in frames),
        n_test_frames=sum(1 for a in frames if a.info.get("split") == "test"),
        dataset_hash=dataset_hash(frames),
        frames_extxyz=frames_to_extxyz(frames),
        settings=settings,
        calculator_settings=prov["settings"],
        teacher_time_s=round(t, 1),
        dir_name=os.getcwd(),
    )


@job(output_schema=TrainingSetDoc, data=["frames_extxyz"], config=JobConfig(expose_store=True))
def label_static_family(
    calculator: CalculatorSpec,
    family: str,
    *,
    seed: int,
    n_per_family: int,
    test_fraction: float,
) -> TrainingSetDoc:
    """Generate one static family and label it with the teacher (raw energy and forces)."""
    configs = make_static_configs(
        seed=seed, n_per_family=n_per_family, test_fraction=test_fraction, families=[family]
    )
    key = _training_cache_key(
        [family, [[structure_hash(a), a.info.get("split")] for a in configs]], calculator
    )
    reused = _find_reusable_set(key)
    if reused is not None:
        return reused
    calc = get_calculator(calculator)
    t0 = time.perf_counter()
    frames = [label_atoms(a, calc) for a in configs]
    settings = {"seed": seed, "n_per_family": n_per_family, "test_fraction": test_fraction}
    return _doc(
        frames,
        family=family,
        kind="static",
        calculator=calculator,
        settings=settings,
        t=time.perf_counter() - t0,
        cache_key=key,
    )


@job(output_schema=TrainingSetDoc, data=["frames_extxyz"], config=JobConfig(expose_store=True))
def teacher_md_run(
    calculator: CalculatorSpec,
    spec: dict[str, Any],
    *,
    n_steps: int,
    timestep_fs: float,
    interval: int,
) -> TrainingSetDoc:
    """Run one teacher-MD run (Langevin NVT of Li on a (111) slab) and keep labelled snapshots."""
    run = MdRunSpec(**spec)
    settings = {**spec, "n_steps": n_steps, "timestep_fs": timestep_fs, "interval": interval}
    # the MD start structure is built inside run_teacher_md from the spec and seed, so the
    # code version is part of the key
    key = _training_cache_key(["teacher_md", settings, LITHIOPHILIC_VERSION], calculator)
    reused = _find_reusable_set(key)
    if reused is not None:
        return reused
    calc = get_calculator(calculator)
    t0 = time.perf_counter()
    frames = run_teacher_md(run, calc, n_steps=n_steps, timestep_fs=timestep_fs, interval=interval)
    return _doc(
        frames,
        family=run.family,
        kind="md",
        calculator=calculator,
        settings=settings,
        t=time.perf_counter() - t0,
        cache_key=key,
    )


@dataclass
class TrainingDataMaker(Maker):
    """Teacher-labelled training data for the distilled Li–Cu–Zn potential.

    Steps: (1) one job per static family (rattled/strained bulk Cu, Li, Zn, Cu–Zn and
    Cu5Zn8; vacancies and adatoms; Li dimers and clusters; Cu(111) and Cu0.64Zn0.36(111)
    slabs with 0–6 Li), labelled with the teacher's raw results; (2) one job per teacher-MD
    run of Li on each surface at each temperature, a training and a held-out replica each.

    Parameters
    ----------
    name
        Flow name.
    calculator
        Teacher (any registry calculator; default SevenNet-0).
    families
        Static families (subset of ``STATIC_FAMILIES``).
    seed
        Random seed of the generators.
    n_per_family
        Static configurations per family.
    test_fraction
        Held-out fraction of each static family.
    md_temperatures_k
        Teacher-MD temperatures, K (empty: no MD).
    md_n_li
        Li atoms on the 3x3x4 teacher-MD slab.
    md_steps, md_timestep_fs, md_interval
        Steps per run, time step (fs) and snapshot interval (steps).
    """

    name: str = "training data"
    calculator: CalculatorSpec = field(default_factory=CalculatorSpec)
    families: tuple[str, ...] = STATIC_FAMILIES
    seed: int = 0
    n_per_family: int = 20
    test_fraction: float = 0.2
    md_temperatures_k: tuple[float, ...] = (300.0, 600.0)
    md_n_li: int = 4
    md_steps: int = 200
    md_timestep_fs: float = 2.0
    md_interval: int = 5

    def __post_init__(self) -> None:
        unknown = sorted(set(self.families) - set(STATIC_FAMILIES))
        if unknown:
            msg = f"families: unknown {unknown}; allowed: {list(STATIC_FAMILIES)}"
            raise ConfigurationError(msg)
        if self.n_per_family < 1 or self.md_steps < 0 or self.md_interval < 1:
            msg = "n_per_family and md_interval must be >= 1 and md_steps >= 0"
            raise ConfigurationError(msg)
        if not 0.0 <= self.test_fraction <= 0.5:
            msg = f"test_fraction must be in [0, 0.5], got {self.test_fraction}"
            raise ConfigurationError(msg)

    def make(self) -> Flow:
        """Return the flow (one job per family and per MD run)."""
        jobs: list[Any] = []
        for family in self.families:
            j = label_static_family(
                self.calculator,
                family,
                seed=self.seed,
                n_per_family=self.n_per_family,
                test_fraction=self.test_fraction,
            )
            j.name = f"{self.name} {family}"
            jobs.append(j)
        if self.md_steps and self.md_temperatures_k:
            for spec in make_md_run_specs(
                self.md_temperatures_k, n_li=self.md_n_li, seed=self.seed
            ):
                j = teacher_md_run(
                    self.calculator,
                    {
                        "substrate": spec.substrate,
                        "n_li": spec.n_li,
                        "temperature_k": spec.temperature_k,
                        "seed": spec.seed,
                        "split": spec.split,
                    },
                    n_steps=self.md_steps,
                    timestep_fs=self.md_timestep_fs,
                    interval=self.md_interval,
                )
                j.name = f"{self.name} {spec.group} ({spec.split})"
                jobs.append(j)
        return Flow(jobs, output=[j.output for j in jobs], name=self.name)


def training_data_flow(
    teacher: str = "sevenn", *, n_per_family: int = 20, md_steps: int = 200, seed: int = 0
) -> Flow:
    """Return the labelling flow of :class:`TrainingDataMaker` for a registered teacher.

    Raises
    ------
    ConfigurationError
        If the teacher is unknown or not installed, or a setting is out of range.
    """
    from lithiophilic.potentials import ensure_available

    spec = CalculatorSpec(teacher)
    ensure_available(spec)
    maker = TrainingDataMaker(
        calculator=spec, n_per_family=n_per_family, md_steps=md_steps, seed=seed
    )
    return maker.make()


def training_set_outputs(store: Any, flow: Flow) -> list[dict[str, Any]]:
    """Return the stored :class:`TrainingSetDoc` outputs (as dicts) of ``flow``'s jobs.

    A job that failed has none: fewer outputs than ``flow.jobs`` means some failed.
    """
    uuids = [j.uuid for j in flow.jobs]
    return [
        d["output"]
        for d in store.query({"uuid": {"$in": uuids}, "output.doc_type": "training_set"}, load=True)
    ]


def run_training_data(
    flow: Flow, store: Any, *, data_dir: str | Path | None = None
) -> list[dict[str, Any]]:
    """Run the labelling flow here (job folders in ``DATA_DIR/runs``); return its stored outputs.

    A failed labelling job does not stop the others; it has no output, so fewer outputs
    than ``flow.jobs`` means some failed. Stored sets with the same cache key are reused.
    """
    from jobflow import run_locally

    from lithiophilic.db import get_data_dir

    runs = get_data_dir(data_dir) / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    run_locally(
        flow, store=store, create_folders=True, root_dir=runs, ensure_success=False, log=False
    )
    return training_set_outputs(store, flow)


def frames_from_docs(docs: list[dict[str, Any]]) -> list[Any]:
    """Return the labelled ASE frames of stored :class:`TrainingSetDoc` outputs (as dicts)."""
    frames: list[Any] = []
    for d in docs:
        frames += frames_from_extxyz(d["frames_extxyz"])
    return frames
