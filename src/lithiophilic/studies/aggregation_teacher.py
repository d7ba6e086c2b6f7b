"""The aggregation study's teacher check (issue 19 item 3): the teacher and the potential side by side.

With ``aggregation.Options(teacher=TeacherCheck())`` the study also runs, per material, the
teacher (SevenNet-0 by default) and the distilled potential (``lammps:<potential>``) in the ASE
engine on one small slab with identical Li placement, seeds and start protocol, at the
teacher's own lattice constant (its E(V) scan; ``TeacherCheck.lattice_from``), so the teacher's
runs do not depend on the potential and answer from the store for every potential checked
(:mod:`lithiophilic.workflows.md_ase_job`; restartable chunks, so a run longer than a session
continues where it stopped), and compares their kinetics
(:func:`lithiophilic.analysis.aggregation_teacher.teacher_comparison`). The 5f/g claim keeps
its verdict only when the potential matches the teacher.

Cost: SevenNet-0 takes ~1 s per step on 104 atoms on one thread here, ~1.5 s on the default
5x5x6 slab (150 atoms + 4 Li; 6 planes because the alloy slab is an oriented SQS tile of
whole ABC periods). The default (3 replicas x 5 ps per surface at 2 fs, which conserves the
energy: ``bench/bench_teacher_timestep.py``) is ~8 CPU-hours; it is never part of a preset.
Its replicas run one per worker process, side by side (one thread each, the same bits as one
after another: :func:`flow_groups`), after the study's own runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lithiophilic.workflows.md_engine import MAX_TIMESTEP_FS

if TYPE_CHECKING:
    from jobflow import Flow, JobStore

    from lithiophilic.studies.aggregation import Options

__all__ = ["TeacherCheck", "collect_teacher", "flow_groups", "side_options", "teacher_flows"]

PositiveInt = Annotated[int, Field(ge=1)]
Side = Literal["teacher", "potential"]


class TeacherCheck(BaseModel):
    """The small system on which the teacher and the distilled potential are compared."""

    model_config = ConfigDict(extra="forbid")

    calculator: str = Field(
        "sevenn", min_length=1, description="The teacher: a registry calculator (ASE engine)."
    )
    lateral_size: tuple[PositiveInt, PositiveInt] = Field(
        (5, 5), description="Surface cells of the slab (alloys: multiples of the SQS tile, 5)."
    )
    n_layers: int = Field(
        6,
        ge=3,
        description="Atomic planes: whole ABC periods (a multiple of 3: the alloy slab is an "
        "oriented SQS tile); 5x5x6 fcc(111): 150 atoms.",
    )
    time_ps: float = Field(5.0, gt=0, description="MD length per replica, ps.")
    replicas: int = Field(3, ge=2, description="Replicas per surface and side (≥ 2: intervals).")
    timestep_fs: float = Field(
        2.0,
        gt=0,
        le=MAX_TIMESTEP_FS,
        description=f"Time step, fs (≤ {MAX_TIMESTEP_FS:g}); 2 fs conserves SevenNet-0's energy "
        "on this system to 0.03 meV/atom/ps (bench/results/teacher_timestep.json).",
    )
    chunk_steps: int = Field(
        200, ge=1, description="Steps between stored states (a multiple of dump_every)."
    )
    lattice_from: Literal["teacher", "potential"] = Field(
        "teacher",
        description="Whose energy-volume scan sets the slab's lattice constant, on both sides: "
        "'teacher' (the teacher's own lattice; one set of teacher runs then serves every "
        "potential checked) or 'potential' (the production potential's, as its LAMMPS runs).",
    )

    @field_validator("calculator")
    @classmethod
    def _known(cls, name: str) -> str:
        from lithiophilic.workflows.md_ase import ase_calculator_spec

        ase_calculator_spec(name)  # an unknown name is refused before any job
        return name


def side_options(options: Options, side: Side) -> Options:
    """Return the study options of one side of the teacher check (validated).

    Both sides: ASE engine, the check's slab, length, replicas and time step, the study's
    coverage, temperature, seeds, frames and cutoffs, and one lattice constant (the teacher's
    E(V) scan by default, ``TeacherCheck.lattice_from``), so the slab and the Li placement
    are identical. ``teacher``: the teacher calculator; ``potential``: ``lammps:<potential>``.
    """
    check = options.teacher
    if check is None:
        msg = "options.teacher is None: no teacher check"
        raise ValueError(msg)
    calculator = check.calculator if side == "teacher" else f"lammps:{options.potential}"
    fields = options.model_dump()
    fields.update(
        engine="ase",
        ase_calculator=calculator,
        ase_chunk_steps=check.chunk_steps,
        lateral_size=check.lateral_size,
        n_layers=check.n_layers,
        time_ps=check.time_ps,
        replicas=check.replicas,
        timestep_fs=check.timestep_fs,
        n_mpi=1,
        teacher=None,
    )
    if check.lattice_from == "teacher":
        fields["lattice_calculator"] = check.calculator
    return type(options)(**fields)


def teacher_flows(
    options: Options,
    build_flows: Callable[[Options], Mapping[str, Flow]],
    sides: tuple[Side, ...] = ("teacher", "potential"),
) -> dict[str, Flow]:
    """Return the teacher check's flows, keyed ``"<material> [teacher|potential, ASE]"``.

    ``build_flows``: the study's own (:func:`lithiophilic.studies.aggregation.build_flows`);
    ``sides``: the sides whose flows are built (both by default).
    """
    flows: dict[str, Flow] = {}
    for side in sides:
        sub = side_options(options, side)
        for label, flow in build_flows(sub).items():
            flows[f"{label}{_side_mark(side)}{sub.ase_calculator}]"] = flow
    return flows


def _side_mark(side: Side) -> str:
    """Return the part of a teacher-check flow label that names its side (:func:`teacher_flows`)."""
    return f" [{side}, ASE "


def flow_groups(
    options: Options, flows: Mapping[str, Flow]
) -> list[tuple[Any, Mapping[str, Flow]]]:
    """Split the study's flows: its own runs first, then the teacher check's (if any).

    Each group runs with the workers its options allow
    (:func:`lithiophilic.studies.base.build_and_run`): the production runs as they always
    did (one after another on ``n_mpi`` > 1 ranks), the teacher check's one-thread ASE
    replicas side by side, one per core, with the teacher side's options (``n_mpi`` 1).
    """
    if options.teacher is None:
        return [(options, flows)]
    marks = (_side_mark("teacher"), _side_mark("potential"))
    check = {k: f for k, f in flows.items() if any(m in k for m in marks)}
    own = {k: f for k, f in flows.items() if k not in check}
    groups: list[tuple[Any, Mapping[str, Flow]]] = [(options, own)] if own else []
    if check:
        groups.append((side_options(options, "teacher"), check))
    return groups


def collect_teacher(store: JobStore, options: Options) -> dict[str, Any]:
    """Return the teacher check of ``options`` from ``store`` (see ``teacher_comparison``).

    Sides or materials not in the store leave the check undecided (``match`` None) and are
    named in ``missing``; never raises for a half-finished check.
    """
    from lithiophilic import defaults
    from lithiophilic.analysis.aggregation_teacher import teacher_comparison
    from lithiophilic.studies.aggregation_store import (
        find_rate,
        rate_summary_dump,
        surface_verdicts,
    )
    from lithiophilic.studies.base import material_label

    labels = [material_label(m) for m in options.materials]
    summaries: dict[str, dict[str, Any]] = {}
    verdicts: dict[str, Any] = {}
    missing: list[str] = []
    for side in ("teacher", "potential"):
        sub = side_options(options, side)
        found = {}
        for label in labels:
            hit = find_rate(store, label, sub)
            if hit is None:
                missing.append(f"{label} ({side})")
            else:
                found[label] = rate_summary_dump(hit[1])
        summaries[side] = found
        verdicts[side] = surface_verdicts(found)
    ref, ss = defaults.PAPER_ROLES["reference"], defaults.PAPER_ROLES["solid_solution"]
    out = teacher_comparison(
        summaries["teacher"],
        summaries["potential"],
        materials=labels,
        verdicts=verdicts if ref in labels and ss in labels else None,
    )
    check = options.teacher
    return {
        **out,
        "settings": check.model_dump(mode="json") if check is not None else None,
        "missing": missing,
        "summaries": summaries,
        "verdict_tables": verdicts,
    }
