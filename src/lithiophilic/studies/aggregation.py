"""Li aggregation MD on (111) slabs (Fig. 5f, 5g): cluster metrics and the aggregation rate.

For each material, :class:`~lithiophilic.workflows.md.LiAggregationMaker` builds a large
(111) slab (lattice constant of the LAMMPS potential), disperses Li adatoms at random (held
apart while the substrate is minimised and thermalised: the first analysed frame is the
dispersed state), runs ``replicas`` trajectories with the thermostat on the substrate only
and fits φ(t) = φ∞ + (φ0 − φ∞)·exp(−k t) per replica at every analysis cutoff and window
(definitions: :data:`~lithiophilic.analysis.aggregation_kinetics.KINETICS_DEFINITION`).
The 5f/g verdict compares the initial aggregation rate r0 = k·(φ0 − φ∞) of the reference
metal and the solid solution (``defaults.PAPER_ROLES``) at every cutoff and window
(:func:`~lithiophilic.analysis.aggregation_kinetics.verdict_table`).

Examples
--------
A smoke run of the reference metal with the MEAM plumbing potential::

    from lithiophilic.studies import aggregation

    options = aggregation.Options.quick(materials=["Cu"], potential="meam-library-licu")
    result = aggregation.run(options)
    result.summaries["Cu"]["k_per_ps"]
    aggregation.figures(result, "figures")  # {"5f": ..., "5g": ...}
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Self

from pydantic import Field, model_validator

from lithiophilic import defaults
from lithiophilic.analysis.aggregation_kinetics import KINETICS_DEFINITION
from lithiophilic.analysis.figures import figure_path
from lithiophilic.errors import ConfigurationError
from lithiophilic.studies.aggregation_store import (
    compare_surfaces,
    find_rate,
    rate_summary_dump,
    snapshots,
    surface_verdicts,
)
from lithiophilic.studies.aggregation_teacher import (
    TeacherCheck,
    collect_teacher,
    flow_groups,
    teacher_flows,
)
from lithiophilic.studies.base import (
    JobEvent,
    MaterialInput,
    StudyOptions,
    StudyResult,
    build_and_run,
    material_label,
    materials_of,
)
from lithiophilic.workflows.md_engine import MAX_TIMESTEP_FS

if TYPE_CHECKING:
    from jobflow import Flow, JobStore

    from lithiophilic.analysis.report import Claim

__all__ = [
    "QUICK_MAX_DUMP_EVERY",
    "Options",
    "Result",
    "build_flows",
    "claims",
    "collect",
    "compare_surfaces",
    "extra_tables",
    "figures",
    "payload",
    "run",
    "table_rows",
]

logger = logging.getLogger(__name__)

#: Largest frame interval of the quick preset, steps (20 fs at 1 fs: with the shipped potential
#: the isolated fraction halves in ~0.1-0.5 ps, which 100-step frames resolve by 1-5 points).
QUICK_MAX_DUMP_EVERY = 20
#: File names of the panels.
FIGURE_NAMES = {"5f": "fig5f_li_aggregation.png", "5g": "fig5g_li_snapshots.png"}
#: LAMMPS seeds must stay below this (replica r uses seed + r).
_MAX_SEED = 900_000_000

PositiveInt = Annotated[int, Field(ge=1)]


class Options(StudyOptions):
    """Settings of the Li-aggregation MD study (Fig. 5f, 5g).

    ``quick()``: a 10x10x3 slab (1 fixed plane, 20 Å vacuum), at most
    ``defaults.MD_QUICK_TIME_PS`` ps, ``defaults.MD_QUICK_REPLICAS`` replicas and a frame
    every ≤ 20 steps: a smoke run, not science.
    """

    study: ClassVar[str] = "aggregation"

    materials: list[MaterialInput] = Field(
        default_factory=lambda: list(defaults.PAPER_MD_MATERIALS),
        min_length=1,
        description="Substrates: names/formulas (the paper's reference metal and solid "
        "solution by default), structure files or bulk structures.",
    )
    n_li: int | None = Field(
        None, ge=1, description="Li atoms per slab; None: coverage × top-plane atoms."
    )
    coverage: float = Field(
        defaults.MD_COVERAGE,
        gt=0,
        le=1,
        description="Li per top-plane substrate atom (monolayers; used when n_li is None).",
    )
    time_ps: float = Field(defaults.MD_TIME_PS, gt=0, description="MD length, ps.")
    replicas: int = Field(defaults.MD_REPLICAS, ge=1, description="Independent replicas.")
    temperature_k: float = Field(defaults.MD_TEMPERATURE_K, gt=0, description="NVT temperature, K.")
    timestep_fs: float = Field(
        defaults.MD_TIMESTEP_FS,
        gt=0,
        le=MAX_TIMESTEP_FS,
        description=f"MD time step, fs (≤ {MAX_TIMESTEP_FS:g}).",
    )
    dump_every: int = Field(
        defaults.MD_DUMP_EVERY,
        ge=1,
        description="Steps between trajectory frames (also between run-time checks).",
    )
    thermostat: Literal["langevin", "nose-hoover"] = Field(
        defaults.MD_THERMOSTAT,  # type: ignore[arg-type]
        description="'langevin' (fix nve + fix langevin) or 'nose-hoover' (fix nvt).",
    )
    potential: str = Field(
        defaults.MD_POTENTIAL,
        min_length=1,
        description="Registered LAMMPS potential (must cover Li and the substrate elements).",
    )
    lateral_size: tuple[PositiveInt, PositiveInt] = Field(
        defaults.MD_LATERAL_SIZE,
        description="Surface primitive cells of the slab along a and b (alloys: multiples "
        "of the SQS tile, 5).",
    )
    seed: int = Field(
        1, ge=1, description="Base seed: replica r uses seed + r (placement, velocities, noise)."
    )
    cutoff_a: float | None = Field(
        None,
        gt=0,
        description="Li-Li cluster cutoff, Å; None: first minimum of the Li-Li distribution "
        "pooled over each surface's replicas.",
    )
    analysis_cutoffs_a: list[Annotated[float, Field(gt=0)]] = Field(
        default_factory=lambda: list(defaults.MD_ANALYSIS_CUTOFFS_A),
        min_length=1,
        description="Li-Li cutoffs (Å) at which the kinetics are fitted and the verdict must "
        f"hold; each below the Li placement spacing ({defaults.MD_LI_MIN_SPACING_A} Å).",
    )
    n_mpi: int = Field(1, ge=1, description="MPI ranks per MD run (mpirun).")
    engine: Literal["lammps", "ase"] = Field(
        "lammps",
        description="MD engine: 'lammps' (the LAMMPS potential) or 'ase' (any calculator, "
        "e.g. the SevenNet-0 teacher, in restartable chunks; same slab, Li placement and "
        "start protocol).",
    )
    ase_calculator: str = Field(
        "sevenn",
        min_length=1,
        description="engine='ase' only: registry calculator ('sevenn', 'chgnet') or "
        "'lammps:<potential>' (the distilled potential in the same engine).",
    )
    ase_chunk_steps: int = Field(
        200,
        ge=1,
        description="engine='ase' only: steps between stored states (a multiple of dump_every); "
        "a stopped run continues from the last one.",
    )
    lattice_calculator: str | None = Field(
        None,
        description="Calculator ('sevenn', another registry name or 'lammps:<potential>') whose "
        "energy-volume scan sets the slab's lattice constant; None: the LAMMPS potential's. "
        "The teacher check uses the teacher's, so one slab serves every potential.",
    )
    n_layers: int = Field(defaults.MD_N_LAYERS, ge=2, description="Atomic planes of the slab.")
    n_fixed_layers: int = Field(
        defaults.MD_N_FIXED_LAYERS, ge=0, description="Fixed bottom planes."
    )
    vacuum_a: float = Field(defaults.MD_VACUUM_A, gt=0, description="Vacuum, Å.")

    teacher: TeacherCheck | None = Field(
        None,
        description="Also run the teacher and the potential in the ASE engine on one small "
        "slab and compare them (issue 19; ~8 CPU-h with SevenNet-0); None: no check.",
    )

    @model_validator(mode="after")
    def _check_slab_and_seed(self) -> Self:
        if self.n_fixed_layers >= self.n_layers:
            msg = (
                f"n_fixed_layers={self.n_fixed_layers} must be below n_layers={self.n_layers} "
                "(some planes must move)"
            )
            raise ValueError(msg)
        spacing = defaults.MD_LI_MIN_SPACING_A
        for name, values in (
            ("analysis_cutoffs_a", self.analysis_cutoffs_a),
            ("cutoff_a", [self.cutoff_a]),
        ):
            if any(c is not None and c >= spacing for c in values):
                msg = (
                    f"{name}={values if name != 'cutoff_a' else self.cutoff_a} must stay below the "
                    f"Li placement spacing {spacing} Å (li_min_spacing_a), else Li start clustered"
                )
                raise ValueError(msg)
        if self.engine == "ase":
            self._check_ase_engine()
        if self.lattice_calculator is not None:
            from lithiophilic.workflows.md_ase import ase_calculator_spec

            try:
                ase_calculator_spec(self.lattice_calculator)
            except ConfigurationError as exc:
                msg = f"lattice_calculator: {exc}"
                raise ValueError(msg) from None
        if self.teacher is not None:
            from lithiophilic.studies.aggregation_teacher import side_options

            for side in ("teacher", "potential"):
                side_options(self, side)  # type: ignore[arg-type]
        if self.seed + self.replicas > _MAX_SEED:
            msg = f"seed + replicas must stay below {_MAX_SEED} (LAMMPS seeds)"
            raise ValueError(msg)
        return self

    def _check_ase_engine(self) -> None:
        if self.ase_chunk_steps % self.dump_every:
            msg = (
                f"ase_chunk_steps={self.ase_chunk_steps} must be a multiple of "
                f"dump_every={self.dump_every} (engine='ase')"
            )
            raise ValueError(msg)
        for name, value, allowed in (
            ("thermostat", self.thermostat, "langevin"),
            ("n_mpi", self.n_mpi, 1),
        ):
            if value != allowed:
                msg = f"{name}={value!r} not allowed with engine='ase' (only {allowed!r})"
                raise ValueError(msg)

    def md_potential_label(self) -> str:
        """Return the name stored rates carry: the LAMMPS potential, or ``ase:<calculator>``."""
        return self.potential if self.engine == "lammps" else f"ase:{self.ase_calculator}"

    @classmethod
    def quick(cls, **overrides: Any) -> Self:
        """Return the quick settings (a smoke run, not science), with ``overrides``.

        A 10x10x3 slab with 1 fixed plane and 20 Å vacuum; ``time_ps``, ``replicas`` and
        ``dump_every`` (given or default) are capped at ``defaults.MD_QUICK_TIME_PS``,
        ``defaults.MD_QUICK_REPLICAS`` and :data:`QUICK_MAX_DUMP_EVERY`. Other overrides
        (e.g. ``lateral_size``) replace the quick values.
        """
        settings: dict[str, Any] = {
            "lateral_size": (10, 10),
            "n_layers": 3,
            "n_fixed_layers": 1,
            "vacuum_a": 20.0,
            **overrides,
        }
        caps = {
            "time_ps": (defaults.MD_TIME_PS, defaults.MD_QUICK_TIME_PS),
            "replicas": (defaults.MD_REPLICAS, defaults.MD_QUICK_REPLICAS),
            "dump_every": (defaults.MD_DUMP_EVERY, QUICK_MAX_DUMP_EVERY),
        }
        for name, (default, cap) in caps.items():
            value = settings.get(name, default)
            settings[name] = min(value, cap) if isinstance(value, int | float) else value
        return cls(**settings)


class Result(StudyResult):
    """What the database holds for the options: rates, replica metrics, figures' data.

    ``summaries``, ``comparisons`` and ``replicas`` have the shapes of the
    ``md-aggregation --json`` keys of the same names.
    """

    schema_version: int = Field(1, description="Version of this result's schema.")
    study: str = Field("aggregation", description="Study name.")
    definition: str = Field(
        KINETICS_DEFINITION, description="Definitions of the kinetics and of the verdict."
    )
    summaries: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Material -> its AggregationRateDoc (k_per_ps and its 95 % t-interval, "
        "per-replica k, cutoff_a, replica_frames, potential, warnings...).",
    )
    uuids: dict[str, str] = Field(
        default_factory=dict, description="Material -> uuid of its aggregation-rate job."
    )
    replicas: dict[str, list[dict[str, Any]]] = Field(
        default_factory=dict,
        description="Material -> per replica: replica, seed, status, failure_reason, cutoff_a "
        "(its own), frames (cluster metrics with that cutoff).",
    )
    comparisons: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Reference metal vs each other completed material: a, b, ratio (k_a/k_b), "
        "t, p_value (Welch), significant, statement.",
    )
    frames: dict[str, list[list[dict[str, Any]]]] = Field(
        default_factory=dict,
        description="Material -> per completed replica, per-frame cluster metrics at the "
        "surface's common cutoff (Fig. 5f).",
    )
    snapshots: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Material -> Li positions and cluster labels at a few times, plus the "
        "substrate's top plane, of its first completed replica (Fig. 5g).",
    )
    verdicts: dict[str, Any] = Field(
        default_factory=dict,
        description="Reference metal vs solid solution: verdict_table output (cells per cutoff "
        "and window, window checks, verdict, reason); empty without both surfaces.",
    )
    warnings: list[str] = Field(default_factory=list, description="Problems the runs survived.")
    teacher: dict[str, Any] = Field(
        default_factory=dict,
        description="Teacher check (options.teacher): teacher_comparison output, settings, "
        "missing sides, both sides' summaries and verdict tables; empty without the check.",
    )


# --------------------------------------------------------------------------- flows


def build_flows(options: Options) -> dict[str, Flow]:
    """Return one Li-aggregation flow per material (label -> flow); no job runs.

    Raises
    ------
    ConfigurationError
        If the potential is not registered or misses an element, Li cannot be dispersed on
        the slab, a structure file cannot be read, or a material is given twice.
    """
    from lithiophilic.workflows.md import LiAggregationMaker

    engine: dict[str, Any] = {}
    if options.engine == "ase":
        from lithiophilic.workflows.md_ase_job import AseLiAggregationMdMaker

        engine = {
            "md_maker_class": AseLiAggregationMdMaker,
            "md_calculator": options.ase_calculator,
            "md_chunk_steps": options.ase_chunk_steps,
        }
    maker = LiAggregationMaker.with_potential(
        options.potential,
        **engine,
        replicas=options.replicas,
        substrate_lateral_size=tuple(options.lateral_size),
        substrate_n_layers=options.n_layers,
        substrate_n_fixed_layers=options.n_fixed_layers,
        substrate_vacuum_a=options.vacuum_a,
        substrate_lattice_calculator=options.lattice_calculator,
        md_n_li=options.n_li,
        md_coverage=options.coverage,
        md_time_ps=options.time_ps,
        md_temperature_k=options.temperature_k,
        md_timestep_fs=options.timestep_fs,
        md_dump_every=options.dump_every,
        md_check_every=options.dump_every,
        md_thermostat=options.thermostat,
        md_seed=options.seed,
        md_cutoff_a=options.cutoff_a,
        md_n_mpi=options.n_mpi,
        analysis_cutoffs_a=tuple(options.analysis_cutoffs_a),
    )
    flows: dict[str, Flow] = {}
    for label, material in materials_of(options.materials):
        if label in flows:
            msg = f"materials: {label!r} is given twice"
            raise ConfigurationError(msg)
        if isinstance(material, str):
            flows[label] = maker.make(material)
        else:
            flows[label] = maker.make(material, label=label)
    if options.teacher is not None:
        flows.update(teacher_flows(options, build_flows))
    return flows


def run(
    options: Options,
    store: JobStore | None = None,
    *,
    data_dir: str | Path | None = None,
    on_job: Callable[[JobEvent], None] | None = None,
    flows: Mapping[str, Flow] | None = None,
) -> Result:
    """Run the study locally into ``store`` and return what it stored.

    MD replicas already in the store (same cache key) are reused, not run again. Progress
    of the MD (steps done) reaches ``on_job`` as ``step`` events.

    Parameters
    ----------
    options
        The study's settings.
    store
        Job store (default: the embedded store of ``data_dir``).
    data_dir
        Database directory (default ``$LITHIOPHILIC_DATA`` or ``./lithiophilic-data``).
    on_job
        Progress callback (see :class:`~lithiophilic.studies.base.JobEvent`).
    flows
        Flows already built by :func:`build_flows` for these options.
    """
    store, _outputs, failed = build_and_run(
        options,
        store,
        build_flows=build_flows,
        data_dir=data_dir,
        on_job=on_job,
        flows=flows,
        groups=lambda fl: flow_groups(options, fl),
    )
    result = collect(store, options)
    result.failed.update(failed)
    return result


# --------------------------------------------------------------------------- collect


def collect(store: JobStore, options: Options) -> Result:
    """Return what ``store`` holds for ``options`` (the newest matching run per material).

    A stored rate matches when its potential, replica count and cutoff, each replica's MD
    settings (temperature, time step, length, frames, thermostat, seed, Li count) and the
    slab (lateral size, planes, fixed planes, vacuum) are those of ``options``. Materials
    without one are listed in ``missing``; failed replicas in ``failed``. Never raises for a
    half-finished campaign.
    """
    result = Result(options=options.model_dump(mode="json"))
    for material in options.materials:
        label = material_label(material)
        found = find_rate(store, label, options)
        if found is None:
            result.missing.append(label)
            continue
        uuid, output, mds = found
        summary = rate_summary_dump(output)
        result.summaries[label] = summary
        result.uuids[label] = uuid
        result.frames[label] = summary["replica_frames"]
        result.replicas[label] = [
            {
                k: md.get(k)
                for k in ("replica", "seed", "status", "failure_reason", "cutoff_a", "frames")
            }
            for md in mds
        ]
        snaps = snapshots(store, mds)
        if snaps is not None:
            result.snapshots[label] = dict(snaps)
        by_replica = {str(md.get("replica")): md["uuid"] for md in mds}
        for r, why in summary["failed_replicas"].items():
            job = f" ({by_replica[r]})" if r in by_replica else ""
            result.failed[f"{label} replica {r}"] = f"MD failed: {why}{job}"
    result.comparisons, cutoff_warnings = compare_surfaces(result.summaries)
    result.verdicts = surface_verdicts(result.summaries)
    starts = sorted(
        {s["start_protocol"] for s in result.summaries.values() if s.get("start_protocol")}
    )
    if starts:
        result.definition = (
            f"{KINETICS_DEFINITION} Before the first analysed frame: {'; '.join(starts)}."
        )
    potential_warnings = sorted({w for s in result.summaries.values() for w in s["warnings"]})
    result.warnings = [*potential_warnings, *cutoff_warnings]
    if options.teacher is not None:
        result.teacher = collect_teacher(store, options)
    return result


# --------------------------------------------------------------------------- outputs


def payload(result: Result) -> dict[str, Any]:
    """Return the ``md-aggregation --json`` payload (and the report's MD stage input)."""
    return {
        "definition": result.definition,
        "summaries": result.summaries,
        "comparisons": result.comparisons,
        "verdicts": result.verdicts,
        "replicas": result.replicas,
        "failed": result.failed,
        "teacher": result.teacher,
    }


def figures(result: Result, out_dir: str | Path, *, format: str = "png") -> dict[str, Path]:
    """Draw Fig. 5f (cluster metrics vs time) and 5g (snapshots) when their data exist.

    ``format``: ``"png"``, ``"pdf"`` or ``"svg"`` (the figure files' suffix); the open
    matplotlib Figures come from the analysis builders (``*_figure``).
    """
    from lithiophilic.analysis.aggregation_plots import (
        plot_aggregation_snapshots,
        plot_cluster_metrics,
    )

    names = {k: figure_path(Path(out_dir) / v, format) for k, v in FIGURE_NAMES.items()}
    paths: dict[str, Path] = {}
    if any(result.frames.values()):
        potential = result.options.get("potential", "")
        if result.options.get("engine") == "ase":
            potential = f"{result.options.get('ase_calculator')} (ASE engine)"
        temperature_k = float(result.options.get("temperature_k", defaults.MD_TEMPERATURE_K))
        title = (
            f"{potential}, {temperature_k:.0f} K; cutoff = each surface's common cutoff; "
            "phi(t) = phi_inf + (phi0 - phi_inf) exp(-k t) fitted per replica"
        )
        paths["5f"] = plot_cluster_metrics(result.frames, names["5f"], title=title)
    if result.snapshots:
        paths["5g"] = plot_aggregation_snapshots(result.snapshots, names["5g"])
    return paths


def claims(result: Result) -> list[Claim]:
    """Return the paper's Fig. 5f/g claim set against ours."""
    from lithiophilic.analysis.report import claims_5fg

    return claims_5fg(
        {
            "summaries": result.summaries,
            "comparisons": result.comparisons,
            "verdicts": result.verdicts,
            "teacher": result.teacher,
        }
    )


def _ci(row: Mapping[str, Any], name: str) -> tuple[Any, Any]:
    ci = row.get(f"{name}_ci") or [None, None]
    return ci[0], ci[1]


def extra_tables(result: Result) -> dict[str, list[dict[str, Any]]]:
    """Return the teacher check side by side (issue 19 item 3), titled, if it ran.

    One row per material and analysis cutoff (whole run): the teacher's φ∞ and k with their
    95 % intervals and the replicas' fit bounds, the potential's, whether each lies inside
    the teacher's interval (None: not tested) and the row's match; then the Li diffusion
    coefficients, which the rule does not use.
    """
    t = result.teacher
    if not t:
        return {}
    quantities = ("phi_inf", "k_per_ps")
    rows = [
        {
            "material": r["material"],
            "cutoff_a": r["cutoff_a"],
            **{
                f"{side}_{q}{suffix}": r.get(f"{side}_{q}{suffix}")
                for q in quantities
                for side in ("teacher", "potential")
                for suffix in ("", "_ci")
            },
            "phi_inf_inside": r.get("phi_inf_inside"),
            "k_per_ps_inside": r.get("k_per_ps_inside"),
            "teacher_k_at_bound": ", ".join(r.get("teacher_k_at_bound") or []) or None,
            "potential_k_at_bound": ", ".join(r.get("potential_k_at_bound") or []) or None,
            "match": r.get("match"),
        }
        for r in t.get("rows") or []
    ]
    title = (
        f"Teacher check: {t.get('teacher')} vs {t.get('potential')} on the same small slab "
        f"(whole run, 95 % t-intervals over replicas) — match: {t.get('match')}; {t.get('reason')}"
    )
    diffusion = "Li diffusion (Å²/ps), teacher vs potential (reported, not used by the rule)"
    return {title: rows, diffusion: list(t.get("diffusion") or [])}


def table_rows(result: Result) -> list[dict[str, Any]]:
    """Return one row per material, analysis cutoff and window (and per legacy rate).

    Each row: k, φ∞, t½ and r0 with their 95 % intervals, the Li–Li coordination at the
    end, the Li diffusion coefficient (per surface, cutoff-independent), the window check
    of r0 and the verdict of that cutoff and window (reference vs solid solution). A stored
    rate from before issue 19 (no kinetics rows) gives one row with its k only. With a
    teacher check, the same rows follow for each side (material ``"<m> [teacher ...]"`` and
    ``"<m> [potential ...]"``, the small slab in the ASE engine).
    """
    rows = _rows(result.summaries, result.verdicts)
    teacher = result.teacher or {}
    for side, summaries in (teacher.get("summaries") or {}).items():
        tables = (teacher.get("verdict_tables") or {}).get(side) or {}
        named = {f"{m} [{side}: {s.get('potential')}]": s for m, s in summaries.items()}
        rows += _rows(named, tables, materials=dict(zip(named, summaries, strict=True)))
    return rows


def _rows(
    summaries: Mapping[str, Mapping[str, Any]],
    verdicts: Mapping[str, Any],
    materials: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Table rows of ``summaries`` (label -> rate summary); ``materials``: label -> material."""
    cells = {(c["cutoff_a"], c["window"]): c for c in verdicts.get("cells", [])}
    checks = {(c["material"], c["cutoff_a"]): c for c in verdicts.get("window_checks", [])}
    rows = []
    for m, s in summaries.items():
        material = (materials or {}).get(m, m)
        base = {
            "material": m,
            "n_completed": s["n_completed"],
            "n_replicas": s["n_replicas"],
        }
        tail = {
            "li_diffusion_a2_per_ps": s.get("li_diffusion_a2_per_ps"),
            "li_diffusion_ci_a2_per_ps": s.get("li_diffusion_ci_a2_per_ps"),
            "cluster_growth_per_ps": s["cluster_growth_per_ps"],
            "potential": s["potential"],
            "validated_for_science": s["validated_for_science"],
        }
        kin = s.get("kinetics") or []
        if not kin:
            rows.append(
                {
                    **base,
                    "cutoff_a": s["cutoff_a"],
                    "window": "whole",
                    "k_per_ps": s["k_per_ps"],
                    "k_ci_low_per_ps": s["k_ci_low_per_ps"],
                    "k_ci_high_per_ps": s["k_ci_high_per_ps"],
                    **tail,
                }
            )
        for r in kin:
            key = (r["cutoff_a"], r["window"])
            k_lo, k_hi = _ci(r, "k_per_ps")
            rows.append(
                {
                    **base,
                    "cutoff_a": r["cutoff_a"],
                    "window": r["window"],
                    "k_per_ps": r["k_per_ps"],
                    "k_ci_low_per_ps": k_lo,
                    "k_ci_high_per_ps": k_hi,
                    "phi_inf": r["phi_inf"],
                    "phi_inf_ci": r.get("phi_inf_ci"),
                    "t_half_ps": r["t_half_ps"],
                    "t_half_ci_ps": r.get("t_half_ps_ci"),
                    "r0_per_ps": r["r0_per_ps"],
                    "r0_ci_per_ps": r.get("r0_per_ps_ci"),
                    "coordination_end": r["coordination_end"],
                    "r0_window_check": (checks.get((material, r["cutoff_a"])) or {}).get("reason"),
                    "verdict_here": (cells.get(key) or {}).get("verdict"),
                    **tail,
                }
            )
    return rows
