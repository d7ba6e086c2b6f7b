"""The paper campaign: every study of Fig. 5 in turn, against one database, then a report.

The campaign is made of the studies (:data:`lithiophilic.studies.STUDIES`), grouped in five
stages that run in this order:

=========  =========================  ==========
stage      studies                    panels
=========  =========================  ==========
surface    surface                    5a
pdos       pdos                       5b
binding    li_sites, li_layers        5c, 5d, 5e
verify     verify                     5a, 5c checked with DFT (GPAW)
md         aggregation                5f, 5g
=========  =========================  ==========

:func:`stage_options` builds each study's ``Options`` from :class:`PaperOptions` (the quick
or full presets of the studies themselves, the paper's PDOS settings, one MD cutoff for
every surface). :func:`run` runs each stage from its saved ``Options``, never command-line
flags, in this process (torch and the model loaded once; peak memory sampled per stage) or,
with ``stage_processes``, each in its own process (isolation; ``os.wait4`` figures); a
stage that fails is reported and the others still run. Every job is
stored and reused, so a second campaign recomputes nothing. :func:`build_report` then reads
each study's ``Result`` from the database (``collect``), draws its figures, sets the paper's
claims against ours and writes ``report.md``, ``report.html`` (figures embedded) and
``claims.json``. :func:`submit` hands every stage to Slurm or jobflow-remote instead.

Examples
--------
>>> from lithiophilic.studies.paper import PaperOptions, stage_options
>>> options = PaperOptions.quick(stages=["surface", "binding"], materials=["Cu", "Cu3Sn"])
>>> {stage: [type(o).study for o in opts] for stage, opts in stage_options(options).items()}
{'surface': ['surface'], 'binding': ['li_sites', 'li_layers']}
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self

from pydantic import Field, field_validator

from lithiophilic import __version__, defaults
from lithiophilic.errors import LithiophilicError
from lithiophilic.studies import panels_of
from lithiophilic.studies.base import MaterialInput, StudyOptions, StudyResult, material_label
from lithiophilic.studies.runner import StageRun, run_stage

if TYPE_CHECKING:
    from types import ModuleType

    from jobflow import JobStore

    from lithiophilic.analysis.report import Claim
    from lithiophilic.hpc.submit import SubmitTarget

__all__ = [
    "DEFAULT_STAGES",
    "PANEL_IDS",
    "PAPER_STAGES",
    "QUICK_NOTE",
    "STAGE_STUDIES",
    "PaperOptions",
    "PaperReport",
    "PaperSubmission",
    "PaperSubmissionError",
    "StageRun",
    "build_report",
    "collect_results",
    "describe_settings",
    "report",
    "run",
    "stage_options",
    "submit",
]

logger = logging.getLogger(__name__)

Stage = Literal["surface", "pdos", "binding", "verify", "md"]

#: Stage names in the order they run.
PAPER_STAGES: tuple[Stage, ...] = ("surface", "pdos", "binding", "verify", "md")

#: Stages run when none are named: every stage but ``verify`` (GPAW on the alloy slabs takes
#: far longer than the rest of the campaign on a workstation, bench/results/verify.json):
#: ask for it with ``stages=[..., "verify"]`` / ``paper --stage verify``.
DEFAULT_STAGES: tuple[Stage, ...] = tuple(s for s in PAPER_STAGES if s != "verify")

#: Stage -> the studies it runs, in order.
STAGE_STUDIES: dict[str, tuple[str, ...]] = {
    "surface": ("surface",),
    "pdos": ("pdos",),
    "binding": ("li_sites", "li_layers"),
    "verify": ("verify",),
    "md": ("aggregation",),
}

#: Li layers of the binding stage (Fig. 5d/5e): the paper's 5; 2 in the quick campaign.
PAPER_LI_LAYERS = 5
QUICK_LI_LAYERS = 2
#: Single-Li sites per material and facet in the quick campaign (None: every distinct site).
QUICK_MAX_SITES = 2

#: What the quick campaign reduces (printed in the report's settings).
QUICK_NOTE = (
    "yes: thin slabs, fmax 0.1 eV/Å, few sites, 2 Li layers (8 %-strained on γ-brass), "
    "small DFT meshes, short MD; numbers are not converged"
)


class PaperOptions(StudyOptions):
    """Settings of the Fig. 5 campaign; each study's own settings come from its presets.

    ``PaperOptions()`` is the full campaign, :meth:`quick` the quick one (every stage in
    minutes, numbers not converged). A bad value raises
    :class:`~lithiophilic.errors.ConfigurationError` naming the field.
    """

    study: ClassVar[str] = "paper"

    preset: Literal["full", "quick"] = Field(
        "full",
        description="'full': each study's default (production) settings; 'quick': each "
        "study's quick() preset (small cells, few samples, short MD).",
    )
    calculator: str = Field(
        "sevenn", description="Calculator for energies (surface energies, Li binding)."
    )
    dft: str = Field("gpaw", description="DFT calculator of the PDOS (5b).")
    md_potential: str = Field(
        defaults.MD_POTENTIAL, description="LAMMPS potential of the aggregation MD (5f/5g)."
    )
    md_teacher: str | None = Field(
        None,
        description="Teacher check of the MD (5f/5g): this calculator (e.g. 'sevenn') and the MD "
        "potential on one small slab in the ASE engine (~8 CPU-h with SevenNet-0; "
        "restartable); the 5f/g verdict stands only if they match. None: not checked.",
    )
    stages: list[Stage] = Field(
        default_factory=lambda: list(DEFAULT_STAGES),
        min_length=1,
        description="Stages to run (surface, pdos, binding, verify, md); they run in that order. "
        "Default: all but verify (the GPAW check, opt-in).",
    )
    materials: list[MaterialInput] = Field(
        default_factory=list,
        description="Materials of every stage (names, formulas, structure files, Structures, "
        "Atoms); empty: each study's own (the paper's three; the MD: defaults.PAPER_MD_MATERIALS).",
    )
    nprocs: int | None = Field(
        None,
        ge=1,
        description="MPI ranks of the DFT (PDOS) runs and of each full-campaign MD run; "
        "None: $SLURM_NTASKS, else every core. The quick MD runs on one rank.",
    )
    out_dir: Path = Field(
        Path("lithiophilic-report"),
        description="Report directory (report.md/.html, claims.json, figures/, data/, logs/, "
        "options/).",
    )
    stage_processes: bool = Field(
        False,
        description="Run each stage in its own Python process (a crash or a memory leak ends "
        "with its stage; about 20 s of interpreter, imports and model load per stage). False: "
        "every stage in this process, the study modules, torch and the MLIP loaded once "
        "(bench/results/paper_quick.json); a study that raises is still reported and the "
        "other stages run.",
    )
    workers: int | None = Field(
        None,
        ge=1,
        description="Worker processes of the MLIP stages (surface, binding): their jobs, the "
        "per-site relaxations too, run side by side, one thread each (1: one after another, "
        "also on one thread). None (default): one per usable core when the store is the "
        "embedded database or MongoDB (a store in memory: 1). At most the number of cores. "
        "The PDOS and verify (DFT, MPI) stages run their jobs one after another whatever "
        "this is, and so do the MD replicas on several MPI ranks (full); one-rank MD replicas "
        "(quick, and the teacher check's ASE runs) run side by side like the MLIP jobs.",
    )

    @classmethod
    def quick(cls, **overrides: Any) -> Self:
        """Return the quick campaign (each study's quick preset), with ``overrides``."""
        return cls(**{"preset": "quick", **overrides})

    @field_validator("stages", mode="after")
    @classmethod
    def _in_order(cls, stages: list[Stage]) -> list[Stage]:
        return [s for s in PAPER_STAGES if s in stages]

    @property
    def is_quick(self) -> bool:
        """Whether this is the quick campaign."""
        return self.preset == "quick"

    @property
    def dft_nprocs(self) -> int:
        """MPI ranks of the DFT runs: ``nprocs``, else ``$SLURM_NTASKS``, else all cores."""
        from lithiophilic.potentials.dft.gpaw import default_nprocs

        if self.nprocs is not None:
            return self.nprocs
        return default_nprocs(fallback=os.cpu_count() or 1)


# --------------------------------------------------------------------------- stage options
def _preset(study: ModuleType, quick: bool, **settings: Any) -> StudyOptions:
    """Return the study's quick or full preset with ``settings``."""
    options: StudyOptions = (study.Options.quick if quick else study.Options.full)(**settings)
    return options


def _materials(po: PaperOptions) -> dict[str, Any]:
    return {"materials": list(po.materials)} if po.materials else {}


def _surface_stage(po: PaperOptions) -> list[StudyOptions]:
    from lithiophilic.studies import surface

    settings = {"calculator": po.calculator, "workers": po.workers, **_materials(po)}
    return [_preset(surface, po.is_quick, **settings)]


def _pdos_stage(po: PaperOptions) -> list[StudyOptions]:
    from lithiophilic.studies import pdos

    # the paper preset: only 1-atom cells are relaxed with the DFT code (the alloy cells keep
    # their input lattice); the full campaign's meshes are those of bench/results/pdos.json
    settings = {"calculator": po.dft, "nprocs": po.dft_nprocs, **_materials(po)}
    return [pdos.Options.paper(quick=po.is_quick, **settings)]


def _binding_stage(po: PaperOptions) -> list[StudyOptions]:
    from lithiophilic.studies import li_layers, li_sites

    common = {"calculator": po.calculator, "workers": po.workers, **_materials(po)}
    if po.is_quick:
        sites = li_sites.Options.quick(max_sites=QUICK_MAX_SITES, **common)
        layers = QUICK_LI_LAYERS
        return [sites, li_layers.Options.quick(sites=sites, layers=layers, workers=po.workers)]
    sites = li_sites.Options.full(**common)
    return [sites, li_layers.Options.full(sites=sites, layers=PAPER_LI_LAYERS, workers=po.workers)]


def _verify_stage(po: PaperOptions) -> list[StudyOptions]:
    from lithiophilic.studies import verify

    # GPAW on the MLIP geometries of the surface and binding stages (read from the store)
    settings = {"calculator": po.calculator, "nprocs": po.nprocs, **_materials(po)}
    return [_preset(verify, po.is_quick, **settings)]


def _md_stage(po: PaperOptions) -> list[StudyOptions]:
    from lithiophilic.studies import aggregation

    settings: dict[str, Any] = {
        "potential": po.md_potential,
        # one cutoff for every surface: rates at per-surface RDF cutoffs differ by construction
        "cutoff_a": defaults.MD_COMPARISON_CUTOFF_A,
        "materials": list(po.materials or defaults.PAPER_MD_MATERIALS),
    }
    if po.is_quick or po.workers == 1:  # full: MPI replicas run one at a time anyway
        settings["workers"] = po.workers
    if po.md_teacher is not None:
        from lithiophilic.studies.aggregation_teacher import TeacherCheck

        settings["teacher"] = TeacherCheck(calculator=po.md_teacher)
    if po.is_quick:
        return [aggregation.Options.quick(**settings)]
    return [aggregation.Options.full(n_mpi=po.dft_nprocs, **settings)]


_STAGE_BUILDERS: dict[str, Callable[[PaperOptions], list[StudyOptions]]] = {
    "surface": _surface_stage,
    "pdos": _pdos_stage,
    "binding": _binding_stage,
    "verify": _verify_stage,
    "md": _md_stage,
}


def stage_options(options: PaperOptions) -> dict[str, list[StudyOptions]]:
    """Return each stage's study ``Options`` (in :data:`STAGE_STUDIES` order).

    Quick campaign: each study's ``quick()`` preset (the binding stage: 2 sites per facet and
    2 Li layers); full: each study's default, the PDOS with the paper preset
    (``pdos.Options.paper()``) on ``nprocs`` ranks, 5 Li layers, the MD on ``nprocs`` ranks.
    Every stage computes ``options.materials`` when given (a user's own structure too), else
    its study's own materials (the MD: :data:`~lithiophilic.defaults.PAPER_MD_MATERIALS`);
    the MD compares surfaces at one cutoff, :data:`~lithiophilic.defaults.MD_COMPARISON_CUTOFF_A`.

    Raises
    ------
    ConfigurationError
        If a study refuses a setting (naming the study's field).
    """
    return {stage: _STAGE_BUILDERS[stage](options) for stage in options.stages}


def run(
    options: PaperOptions,
    store: JobStore | str | None = None,
    *,
    data_dir: str | Path | None = None,
    on_stage: Callable[[StageRun], None] | None = None,
) -> PaperReport:
    """Run every stage of the campaign, then write the report; never raises for a failed stage.

    Parameters
    ----------
    options
        The campaign's settings.
    store
        ``None`` (the embedded store of ``data_dir``), a store choice as ``--store``
        (a JobStore YAML, ``jobflow``, ``remote:PROJECT``) or a ``JobStore`` object. The
        stages run in this process unless ``options.stage_processes`` (then each in its own
        process; a ``JobStore`` object cannot be handed over and keeps them here).
    data_dir
        Database directory (default ``$LITHIOPHILIC_DATA`` or ``./lithiophilic-data``).
    on_stage
        Called with each :class:`StageRun` as it ends.

    Returns
    -------
    PaperReport
        Stages, Results, claims and the report's paths.

    Raises
    ------
    ConfigurationError
        If a study refuses a setting (before any stage runs).
    """
    from lithiophilic.db import describe_store, get_data_dir

    per_stage = stage_options(options)
    out_dir = Path(options.out_dir)
    ddir = get_data_dir(data_dir).resolve()
    runs: list[StageRun] = []
    t0 = time.perf_counter()
    for stage, opts in per_stage.items():
        logger.info("stage %s: %s", stage, ", ".join(type(o).study for o in opts))
        res = run_stage(
            stage,
            opts,
            out_dir=out_dir,
            data_dir=ddir,
            store=store,
            own_process=options.stage_processes,
        )
        runs.append(res)
        if on_stage is not None:
            on_stage(res)
    job_store = _open(store, ddir)
    settings = {
        **describe_settings(options),
        "job database": describe_store(job_store),
        "total wall time (s)": round(time.perf_counter() - t0, 1),
        "stages ran in": _stage_processes_note(runs),
    }
    # a stage that ran in this process returned its studies' Results: not collected again
    ran = {name: result for r in runs for name, result in r.results.items()}
    results = collect_results(options, job_store, ran=ran)
    return build_report(options, results, stages=runs, settings=settings)


def _stage_processes_note(runs: Sequence[StageRun]) -> str:
    """Say where the stages ran and what their peak RSS measures."""
    from lithiophilic.studies.runner import RSS_OWN_PROCESS, RSS_SAMPLED

    if runs and all(r.own_process for r in runs):
        return f"one process per stage; peak RSS: {RSS_OWN_PROCESS}"
    return f"this process (torch and the model loaded once); peak RSS: {RSS_SAMPLED}"


# --------------------------------------------------------------------------- the report
@dataclass
class PaperReport:
    """What a campaign produced: its stages, each study's Result, the claims, the files."""

    options: PaperOptions
    stages: list[StageRun]
    results: dict[str, StudyResult]
    claims: list[Claim]
    figures: dict[str, Path]
    paths: dict[str, Path]

    @property
    def failed(self) -> list[StageRun]:
        """The stages that did not complete."""
        return [s for s in self.stages if not s.ok]


def _not_run_claims(name: str) -> list[Claim]:
    """Return the claims of a study that did not run (verdict ``not run``)."""
    from lithiophilic.analysis import report as rep

    by_study: dict[str, list[Callable[[Any], list[Claim]]]] = {
        "surface": [rep.claims_5a],
        "pdos": [rep.claims_5b],
        "li_sites": [rep.claims_5c],
        "li_layers": [rep.claims_5d, rep.claims_5e],
        "aggregation": [rep.claims_5fg],
        "verify": [],
    }
    return [c for fn in by_study[name] for c in fn(None)]


def _collect(
    study: ModuleType, options: StudyOptions, store: JobStore, out_dir: Path
) -> StudyResult:
    """Return the study's Result from the store, with the failures its stage process recorded."""
    name = type(options).study
    result: StudyResult = study.collect(store, options)
    stage_file = out_dir / "data" / f"{name}.json"
    if stage_file.is_file():  # written by this campaign's stage process
        ran = study.Result.model_validate_json(stage_file.read_text())
        result.failed.update(ran.failed)
    return result


def collect_results(
    options: PaperOptions, store: JobStore, *, ran: Mapping[str, StudyResult] | None = None
) -> dict[str, StudyResult]:
    """Return each study's Result for the campaign's stages, read from ``store``.

    Failures recorded by this campaign's stage processes (``out_dir/data/STUDY.json``) are
    kept in ``Result.failed``. ``ran``: Results the stages returned in this process (study
    name -> Result, failures included), used as they are. Never raises for a half-finished
    campaign (see each study's ``collect``).
    """
    from lithiophilic.studies import STUDIES

    ran = ran or {}
    return {
        type(o).study: ran[type(o).study]
        if type(o).study in ran
        else _collect(STUDIES[type(o).study], o, store, Path(options.out_dir))
        for opts in stage_options(options).values()
        for o in opts
    }


def _relative(path: Path, out_dir: Path) -> str:
    try:
        return str(path.resolve().relative_to(out_dir.resolve()))
    except ValueError:
        return str(path)


def _note(result: StudyResult) -> str | None:
    parts = []
    if result.missing:
        parts.append("missing: " + ", ".join(result.missing))
    if result.failed:
        parts.append("failed: " + "; ".join(f"{k}: {v}" for k, v in result.failed.items()))
    return ("_" + " — ".join(parts) + "_") if parts else None


def describe_settings(options: PaperOptions) -> dict[str, Any]:
    """Return the campaign's settings and calculator provenance, as printed in the report."""
    import json

    from lithiophilic.potentials import CalculatorSpec, calculator_provenance

    settings: dict[str, Any] = {
        "lithiophilic": __version__,
        "quick": options.is_quick and QUICK_NOTE,
        "stages": ", ".join(options.stages),
        "materials": ", ".join(material_label(m) for m in options.materials)
        or "each study's own (the paper's)",
    }
    specs = {"energies": options.calculator}
    if "pdos" in options.stages:
        specs["PDOS"] = options.dft
    for key, name in specs.items():
        settings[key] = json.dumps(calculator_provenance(CalculatorSpec(name)), default=str)
    if "md" in options.stages:
        settings["MD potential"] = options.md_potential
        if options.md_teacher is not None:
            settings["MD teacher check"] = options.md_teacher
    settings.update(cores=os.cpu_count(), date=time.strftime("%Y-%m-%d %H:%M %Z"))
    return settings


def build_report(
    options: PaperOptions,
    results: Mapping[str, StudyResult],
    *,
    stages: Sequence[StageRun] = (),
    settings: Mapping[str, Any] | None = None,
) -> PaperReport:
    """Write the report of ``results`` into ``options.out_dir``; return what it holds.

    For each study's Result (study name -> Result, e.g. from :func:`collect_results`):
    ``figures`` (in ``out_dir/figures``) → ``claims`` → ``table_rows``; the Result is saved
    as ``out_dir/data/STUDY.json``. A study without a Result gives ``not run`` claims.
    Writes ``report.md``, ``report.html`` (figures embedded) and ``claims.json``.

    Parameters
    ----------
    options
        The campaign's settings.
    results
        Study name -> its Result.
    stages
        The stages that ran (the report's stage table); empty for stored results.
    settings
        Settings and provenance to print (default :func:`describe_settings`).
    """
    from lithiophilic.analysis.report import render_markdown, rows_table, write_report
    from lithiophilic.studies import STUDIES

    out_dir = Path(options.out_dir)
    claims: list[Claim] = []
    figures: dict[str, Path] = {}
    tables: dict[str, tuple[list[str], list[list[Any]]]] = {}
    notes: dict[str, str] = {}
    extra_tables: dict[str, dict[str, list[dict[str, Any]]]] = {}
    definitions: dict[str, str] = {}
    for name in (n for stage in PAPER_STAGES for n in STAGE_STUDIES[stage]):
        result = results.get(name)
        if result is None:
            claims += _not_run_claims(name)
            continue
        study, panel = STUDIES[name], (panels_of(name) or (name,))[0]
        data = out_dir / "data" / f"{name}.json"
        data.parent.mkdir(parents=True, exist_ok=True)
        data.write_text(result.model_dump_json(indent=1))
        figures.update(_study_figures(study, name, result, out_dir / "figures"))
        claims += study.claims(result)
        tables[panel] = rows_table(study.table_rows(result))
        if hasattr(study, "extra_tables"):  # e.g. 5f/g: the teacher check side by side
            extra_tables[panel] = study.extra_tables(result)
        if note := _note(result):
            notes[panel] = note
        if result.definition:
            definitions[name] = result.definition
    shown = {k: _relative(v, out_dir) for k, v in figures.items() if k in PANEL_IDS}
    settings = dict(describe_settings(options) if settings is None else settings)
    rows = [_stage_row(s, out_dir) for s in stages]
    text = render_markdown(claims, shown, rows, settings, definitions, tables, notes, extra_tables)
    extra = {
        "stages": [s.as_dict() for s in stages],
        "settings": settings,
        "options": options.model_dump(mode="json"),
        "results": {n: f"data/{n}.json" for n in results},
    }
    paths = write_report(out_dir, text, claims, extra)
    return PaperReport(options, list(stages), dict(results), claims, figures, paths)


def _figure_inputs_key(study: ModuleType, result: StudyResult) -> str:
    """Hash of what a study's figures are drawn from: its Result and the drawing code."""
    import hashlib

    import lithiophilic.analysis

    digest = hashlib.sha256(result.model_dump_json().encode())
    code = [
        Path(str(study.__file__)),
        *sorted(Path(lithiophilic.analysis.__file__).parent.glob("*.py")),
    ]
    for path in code:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _study_figures(
    study: ModuleType, name: str, result: StudyResult, fig_dir: Path
) -> dict[str, Path]:
    """``study.figures(result, fig_dir)``, unless the same Result and code drew them there already.

    A re-run of a stored campaign into the same ``--out`` folder then keeps its figure files
    (~5 s of a quick re-run, most of it the Li-film snapshots); a changed Result, a changed
    drawing module or a missing file draws them again. The key is kept beside them
    (``figures/.STUDY.key.json``).
    """
    import json

    key = _figure_inputs_key(study, result)
    record = fig_dir / f".{name}.key.json"
    try:
        stored = json.loads(record.read_text())
    except (OSError, ValueError):
        stored = {}
    paths = {k: Path(v) for k, v in stored.get("figures", {}).items()}
    if stored.get("key") == key and all(p.is_file() for p in paths.values()):
        logger.info("%s: figures unchanged (same results and code), kept", name)
        return paths
    paths = {k: Path(v) for k, v in study.figures(result, fig_dir).items()}
    if fig_dir.is_dir():
        record.write_text(
            json.dumps({"key": key, "figures": {k: str(v) for k, v in paths.items()}})
        )
    return paths


#: Panel ids, in the report's order.
PANEL_IDS = ("5a", "5b", "5c", "5d", "5e", "5f", "5g", "verify")


def _stage_row(stage: StageRun, out_dir: Path) -> dict[str, Any]:
    row = stage.as_dict()
    row["log"] = _relative(Path(stage.log), out_dir)
    row["options"] = [_relative(Path(f), out_dir) for f in stage.options]
    return row


def _open(store: JobStore | str | None, data_dir: str | Path | None) -> JobStore:
    if store is not None and not isinstance(store, str):
        return store
    from lithiophilic.db import get_store

    return get_store(data_dir=data_dir, store=store)


def report(
    options: PaperOptions,
    store: JobStore | str | None = None,
    *,
    data_dir: str | Path | None = None,
) -> PaperReport:
    """Write the report of what the database holds for ``options``, running nothing.

    For a campaign whose stages ran elsewhere (``paper --submit remote:PROJECT``, a
    notebook): what is missing is named under each panel and gives ``not run`` claims.
    ``store``: a ``JobStore``, a store choice as ``--store``, or ``None`` (embedded store
    of ``data_dir``).
    """
    from lithiophilic.db import describe_store

    job_store = _open(store, data_dir)
    settings = {**describe_settings(options), "job database": describe_store(job_store)}
    return build_report(options, collect_results(options, job_store), settings=settings)


# --------------------------------------------------------------------------- submission
@dataclass
class PaperSubmission:
    """What :func:`submit` submitted: each stage's records and the report job's."""

    stages: dict[str, list[dict[str, Any]]]
    report_job: dict[str, Any] | None
    options_file: Path

    @property
    def records(self) -> list[dict[str, Any]]:
        """Every record, stages first."""
        return [r for recs in self.stages.values() for r in recs] + (
            [self.report_job] if self.report_job else []
        )


class PaperSubmissionError(LithiophilicError, RuntimeError):
    """A stage could not be submitted; what was already submitted has been withdrawn.

    ``cause`` is the original error, ``remote_flows`` the jobflow-remote flows that could
    not be withdrawn (``jf flow delete`` them).
    """

    def __init__(self, msg: str, cause: BaseException, remote_flows: list[str]) -> None:
        super().__init__(msg)
        self.cause = cause
        self.remote_flows = remote_flows


def submit(
    options: PaperOptions,
    *,
    target: SubmitTarget,
    data_dir: str | Path | None = None,
    store: str | None = None,
) -> PaperSubmission:
    """Submit every stage's flows (the binding stage after the surface stage) and, on Slurm, a report job.

    The ``paper-report`` job waits (``afterok``) for every stage job and runs
    ``python -m lithiophilic.studies.paper OPTIONS.json`` (:func:`main`): the campaign again, every
    calculation reused from the database, then the report in ``options.out_dir``. On
    jobflow-remote run :func:`run` (or ``lithiophilic paper``) once the flows have completed.

    Raises
    ------
    ConfigurationError
        If a study refuses a setting (nothing submitted).
    PaperSubmissionError
        If a stage cannot be submitted (bad input found by ``build_flows``, Slurm refusing
        a job); the jobs already submitted are cancelled.
    """
    from lithiophilic.hpc.slurm import SlurmResources, submit_command
    from lithiophilic.hpc.submit import submission_context, submit_flows_to
    from lithiophilic.studies import STUDIES

    options = options.updated(out_dir=Path(options.out_dir).resolve())
    per_stage = stage_options(options)
    context = submission_context(data_dir, store)
    done: dict[str, list[dict[str, Any]]] = {}
    for stage, opts in per_stage.items():
        # binding reuses the relaxed bulk and clean slabs of the surface stage: wait for them
        after = [r["slurm_job_id"] for r in done.get("surface", []) if "slurm_job_id" in r]
        if stage == "verify":  # reads the MLIP results of the surface and binding stages
            after += [r["slurm_job_id"] for r in done.get("binding", []) if "slurm_job_id" in r]
        done[stage] = []
        try:
            for o in opts:
                flows = STUDIES[type(o).study].build_flows(o)
                command = f"paper stage {stage}: {type(o).study} {o.model_dump_json()}"
                done[stage] += submit_flows_to(
                    flows, target=target, command=command, after=after, **context
                )
        except (LithiophilicError, ValueError, OSError) as exc:
            _withdraw(done, f"stage {stage} could not be submitted", exc, context["tracking"])
    options_file = options.save(options.out_dir / "options" / "paper.json")
    report_job = None
    if isinstance(target, SlurmResources):
        argv = [str(options_file), "--data-dir", context["store_spec"]["data_dir"]]
        argv += ["--store", store] if store is not None else []
        try:
            report_job = submit_command(
                argv,
                name="paper-report",
                module="lithiophilic.studies.paper",
                store_spec=context["store_spec"],
                tracking=context["tracking"],
                work_dir=context["work_dir"],
                resources=target,
                after=[r["slurm_job_id"] for recs in done.values() for r in recs],
            )
        except (LithiophilicError, OSError) as exc:
            _withdraw(done, "the report job could not be submitted", exc, context["tracking"])
    return PaperSubmission(done, report_job, options_file)


def _withdraw(
    done: dict[str, list[dict[str, Any]]], what: str, exc: BaseException, tracking: Any
) -> None:
    """Cancel what was submitted and raise :class:`PaperSubmissionError`."""
    from lithiophilic.hpc.submit import cancel_submitted

    why = f"paper submission aborted: {what} ({exc})"
    records = [r for recs in done.values() for r in recs]
    cancelled = cancel_submitted(records, why, tracking=tracking)
    raise PaperSubmissionError(why, exc, cancelled.remote_flow_uuids) from exc


def main(argv: list[str] | None = None) -> int:
    """Run the campaign of saved options: ``python -m lithiophilic.studies.paper OPTIONS.json``.

    ``--data-dir D`` / ``--store S`` choose the job store. What the ``paper-report`` job of
    :func:`submit` runs; exit status 1 if a stage failed, 2 if the options are invalid.
    """
    import argparse
    import warnings

    parser = argparse.ArgumentParser(prog="python -m lithiophilic.studies.paper")
    parser.add_argument("options", type=Path, help="PaperOptions file (PaperOptions.save)")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--store", default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    try:
        options = PaperOptions.load(args.options)
        done = run(options, store=args.store, data_dir=args.data_dir)
    except LithiophilicError as exc:
        logging.getLogger("lithiophilic.studies.paper").error("%s", exc)
        return 2
    logging.getLogger("lithiophilic.studies.paper").info("report: %s", done.paths["html"])
    return 1 if done.failed else 0


if __name__ == "__main__":
    sys.exit(main())
