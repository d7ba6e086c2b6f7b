"""Surface energies of each material and facet (Fig. 5a).

The study relaxes each material's bulk, cuts slabs for every facet and termination (random
alloys: oriented SQS cells) and stores one :class:`~lithiophilic.workflows.surface.SurfaceEnergyDoc`
per slab, with γ of the unrelaxed and the relaxed slab (definitions in
:data:`~lithiophilic.analysis.surface.GAMMA_DEFINITION`).

Examples
--------
>>> from lithiophilic.studies import surface
>>> options = surface.Options.quick(materials=["Cu"], millers=[[1, 1, 1]], calculator="emt")
>>> options.n_layers, options.slab_fmax_ev_per_a
(4, 0.1)
>>> sorted(surface.build_flows(options))
['Cu']

``surface.run(options)`` runs the flows into the default store and returns a :class:`Result`;
``surface.figures(result, "reports")`` draws Fig. 5a.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self

from pydantic import Field, field_validator, model_validator
from pymatgen.core import Structure

from lithiophilic import defaults
from lithiophilic.analysis.figures import figure_path
from lithiophilic.analysis.surface import (
    GAMMA_DEFINITION,
    SURFACE_ROW_KEYS,
    facet_label,
    lowest_gamma_termination,
    plot_surface_energies,
    row_gamma_edges_j_per_m2,
    write_gamma_csv,
)
from lithiophilic.db import latest_rows
from lithiophilic.errors import AnalysisError, ConfigurationError
from lithiophilic.potentials import CalculatorSpec, ensure_available
from lithiophilic.studies.base import (
    MaterialInput,
    StudyOptions,
    StudyResult,
    build_and_run,
    check_calculator_name,
    keep_relax_trajectories,
    material_label,
    materials_of,
    with_native_makers,
)
from lithiophilic.workflows.base import AseRelaxMaker
from lithiophilic.workflows.surface import SurfaceEnergyMaker

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from jobflow import Flow, JobStore

    from lithiophilic.analysis.report import Claim
    from lithiophilic.studies.base import JobEvent

__all__ = [
    "CSV_NAME",
    "FIGURE_NAME",
    "Options",
    "Result",
    "build_flows",
    "claims",
    "collect",
    "figures",
    "gamma_table_rows",
    "lowest_terminations",
    "run",
    "surface_energy_rows",
    "surface_maker",
    "table_rows",
]

logger = logging.getLogger(__name__)

#: File names written by :func:`figures` (in ``out_dir``).
FIGURE_NAME = "fig5a_surface_energies.png"
CSV_NAME = "surface_energies.csv"

#: The quick preset (minutes, not converged): thin slabs (4 planes, 6 Å γ-brass, no fixed
#: planes), at most 2 terminations per facet, one thin SQS sample (1 stacking period) and a
#: looser slab force threshold. The Li-binding study builds its quick slabs from the same
#: settings (:func:`surface_maker` of ``Options.quick()``), so it reuses these relaxed slabs.
_QUICK: dict[str, Any] = {
    "n_layers": 4,
    "min_thickness_a": 6.0,
    "n_fixed_layers": 0,
    "max_terminations": 2,
    "sqs_samples": 1,
    "sqs_periods": 1,
    "slab_fmax_ev_per_a": defaults.QUICK_SLAB_FMAX_EV_PER_A,
}


def _paper_materials() -> list[str | Structure]:
    return list(defaults.PAPER_MATERIALS)


class Options(StudyOptions):
    """Every setting of the surface-energy study (Fig. 5a).

    The default is the production preset; :meth:`quick` gives thin slabs that run in minutes.
    Slab settings are those of :class:`~lithiophilic.workflows.surface.SurfaceEnergyMaker`;
    a bad value raises :class:`~lithiophilic.errors.ConfigurationError` naming the field.
    """

    study: ClassVar[str] = "surface"

    materials: list[MaterialInput] = Field(
        default_factory=_paper_materials,
        min_length=1,
        description="Materials: catalogue names or formulas, structure files (CIF/POSCAR), "
        "pymatgen Structures or ASE Atoms; default the paper's three.",
    )
    millers: list[list[int]] = Field(
        default_factory=lambda: [list(m) for m in defaults.MILLERS],
        min_length=1,
        description="Facets, Miller indices of the conventional cell (three integers, not all zero).",
    )
    calculator: str = Field("sevenn", description="Calculator registry name.")
    n_layers: int = Field(
        defaults.N_LAYERS, ge=1, description="Atomic planes of simple-lattice slabs."
    )
    min_thickness_a: float = Field(
        defaults.MIN_THICKNESS_A,
        gt=0,
        description="Minimum thickness of complex slabs (γ-brass), Å.",
    )
    thickness_series: list[int] = Field(
        default_factory=list,
        description="Extra n_layers of a thickness-convergence series (empty: none).",
    )
    vacuum_a: float = Field(
        defaults.VACUUM_A,
        ge=defaults.MIN_VACUUM_A,
        description=f"Vacuum between periodic images, Å (>= {defaults.MIN_VACUUM_A}).",
    )
    n_fixed_layers: int = Field(defaults.N_FIXED_LAYERS, ge=0, description="Fixed planes.")
    fix: Literal["center", "bottom"] = Field(
        "center", description="'center' (both faces relax) or 'bottom' (one face relaxes)."
    )
    slab_fmax_ev_per_a: float = Field(
        defaults.SLAB_FMAX_EV_PER_A, gt=0, description="Slab force threshold, eV/Å."
    )
    max_terminations: int | None = Field(
        None, ge=1, description="Keep at most this many terminations per facet (None: all)."
    )
    sqs_samples: int = Field(
        defaults.SQS_SAMPLES, ge=1, description="SQS samples per facet (random alloys)."
    )
    sqs_periods: int = Field(
        2, ge=1, description="Stacking periods of SQS slabs (2: 6 planes on (111), 4 on (100))."
    )

    @classmethod
    def quick(cls, **overrides: Any) -> Self:
        """Return the quick settings (thin slabs, minutes, not converged), with ``overrides``."""
        return cls(**{**_QUICK, **overrides})

    @field_validator("millers", mode="after")
    @classmethod
    def _check_millers(cls, millers: list[list[int]]) -> list[list[int]]:
        for m in millers:
            if len(m) != 3 or not any(m):
                msg = (
                    f"{m} is not a Miller index; give three integers, not all zero, e.g. [1, 1, 1]"
                )
                raise ValueError(msg)
        return millers

    @field_validator("calculator", mode="after")
    @classmethod
    def _check_calculator(cls, name: str) -> str:
        return check_calculator_name(name)  # type: ignore[return-value]

    @model_validator(mode="after")
    def _check_slabs(self) -> Self:
        # the Maker's own checks (planes left free by the fixed ones, SQS settings)
        try:
            surface_maker(self)
        except ConfigurationError as exc:
            raise ValueError(str(exc)) from None
        return self


class Result(StudyResult):
    """Stored surface energies for the options asked (Fig. 5a).

    ``missing`` names each ``material (hkl)`` with no stored row.
    """

    study: str = Field("surface", description="Study name.")
    definition: str = Field(GAMMA_DEFINITION, description="Formulas and conventions of γ.")
    rows: list[dict[str, Any]] = Field(
        default_factory=list,
        description="One row per stored slab (newest per slab and calculator): material, miller, "
        "termination, sqs_seed, n_layers, gamma_*_j_per_m2, gamma_relaxed_ev_per_a2, method, "
        "converged, calculator, uuid, ...",
    )


def surface_maker(options: Options) -> SurfaceEnergyMaker:
    """Return the surface-energy Maker of ``options``, with its calculator.

    The Li-binding study cuts its clean slabs with the same Maker (e.g. of
    ``Options.quick()``), so the slabs relaxed here are reused from the database.

    Raises
    ------
    ConfigurationError
        If the slab settings leave no free plane or the SQS settings are invalid.
    """
    spec = CalculatorSpec(options.calculator)
    maker = SurfaceEnergyMaker(
        millers=[list(m) for m in options.millers],
        n_layers=options.n_layers,
        min_thickness_a=options.min_thickness_a,
        thickness_series=list(options.thickness_series),
        vacuum_a=options.vacuum_a,
        n_fixed_layers=options.n_fixed_layers,
        fix=options.fix,
        max_terminations=options.max_terminations,
        sqs_samples=options.sqs_samples,
        sqs_periods=options.sqs_periods,
        slab_relax_maker=AseRelaxMaker(
            name="slab relax",
            fmax_ev_per_a=options.slab_fmax_ev_per_a,
            max_steps=defaults.SLAB_MAX_STEPS,
            allow_unconverged=True,
        ),
    ).with_calculator(spec)
    # VASP runs as atomate2 jobs under custodian (one VASP run per relaxation), not via ASE
    return with_native_makers(maker, spec)


def build_flows(options: Options) -> dict[str, Flow]:
    """Return one surface-energy flow per material, keyed by its label.

    Raises
    ------
    ConfigurationError
        For an unknown material or unreadable structure file, two materials with the same
        label, elements the calculator does not cover, or a calculator whose package is
        not installed.
    """
    maker = surface_maker(options)
    flows: dict[str, Flow] = {}
    for label, material in materials_of(options.materials):
        if label in flows:
            msg = f"materials: two materials have the label {label!r}; give each one once"
            raise ConfigurationError(msg)
        flows[label] = maker.make(material, name=label)
    ensure_available(CalculatorSpec(options.calculator))
    return keep_relax_trajectories(flows, options.keep_trajectory)


def run(
    options: Options,
    store: JobStore | None = None,
    *,
    data_dir: str | Path | None = None,
    on_job: Callable[[JobEvent], None] | None = None,
    flows: Mapping[str, Flow] | None = None,
) -> Result:
    """Run the study locally into ``store`` and return what it stored.

    Parameters
    ----------
    options
        The study's settings.
    store
        Job store (default: the embedded store of ``data_dir``).
    data_dir
        Database directory (default ``$LITHIOPHILIC_DATA`` or ``./lithiophilic-data``).
    on_job
        Progress callback (:class:`~lithiophilic.studies.base.JobEvent`).
    flows
        Flows already built by :func:`build_flows` for these options.

    Returns
    -------
    Result
        The stored rows; ``failed`` names the flows that failed.
    """
    store, _outputs, failed = build_and_run(
        options, store, build_flows=build_flows, data_dir=data_dir, on_job=on_job, flows=flows
    )
    result = collect(store, options)
    result.failed.update(failed)
    return result


_SE_KEYS = (
    *SURFACE_ROW_KEYS,
    "gamma_unrelaxed_ev_per_a2",
    "calculator_name",
    "calculator_model",
    "calculator_version",
    "bulk_reference",
    "faces_note",
    "gamma_vs_delta_mu",
    "delta_mu_window",
)


def surface_energy_rows(
    store: JobStore, *, materials: list[str] | None = None, calculator: str | None = None
) -> list[dict[str, Any]]:
    """Return one row per stored slab surface energy (the newest per slab and calculator).

    Parameters
    ----------
    store
        The job store.
    materials
        Only these material labels (None: all).
    calculator
        Only this calculator registry name (None: all).
    """
    identity = (
        "material",
        "miller",
        "termination",
        "sqs_seed",
        "n_layers",
        "calculator_name",
        "calculator_model",
    )
    return latest_rows(store, "surface_energy", _SE_KEYS, identity, materials, calculator)


def collect(store: JobStore, options: Options) -> Result:
    """Return the stored surface energies of the options' materials, facets and calculator.

    Never raises for a half-finished study: each material and facet without a stored row
    is named in ``Result.missing``.
    """
    labels = [material_label(m) for m in options.materials]
    rows = surface_energy_rows(store, materials=labels, calculator=options.calculator)
    rows = [r for r in rows if r["miller"] in options.millers]
    have = {(r["material"], tuple(r["miller"])) for r in rows}
    missing = [
        f"{label} {facet_label(m)}"
        for label in labels
        for m in options.millers
        if (label, tuple(m)) not in have
    ]
    return Result(options=options.model_dump(mode="json"), rows=rows, missing=missing)


def _has_relaxed_gamma(rows: Sequence[Mapping[str, Any]]) -> bool:
    return any(
        r.get("gamma_relaxed_j_per_m2") is not None and math.isfinite(r["gamma_relaxed_j_per_m2"])
        for r in rows
    )


def figures(result: Result, out_dir: str | Path, *, format: str = "png") -> dict[str, Path]:
    """Write Fig. 5a and its table; return ``{"5a": PNG, "5a_csv": CSV}``.

    ``5a`` (:data:`FIGURE_NAME`): lowest relaxed γ per material and facet at the Δμ-min
    (Cu-rich) edge of each non-stoichiometric slab's window, whiskers over
    terminations/samples and the Δμ window; ``5a_csv`` (:data:`CSV_NAME`): one line per slab.
    The CSV is written when there are rows, the PNG when a relaxed γ exists.

    ``format``: ``"png"``, ``"pdf"`` or ``"svg"`` (the figure files' suffix); the open
    matplotlib Figures come from the analysis builders (``*_figure``).
    """
    out = Path(out_dir)
    figure = figure_path(out / FIGURE_NAME, format)  # checked before writing
    paths: dict[str, Path] = {}
    if result.rows:
        paths["5a_csv"] = write_gamma_csv(result.rows, out / CSV_NAME)
    if _has_relaxed_gamma(result.rows):
        paths["5a"] = plot_surface_energies(
            _with_edges(result.rows),
            figure,
            key="gamma_relaxed_at_delta_mu_min_j_per_m2",
            title="Surface energies (bar: lowest termination/sample, γ-brass at the Cu-rich "
            "edge of its Δμ window;\nwhiskers: all terminations/samples over the window)",
        )
    return paths


def claims(result: Result) -> list[Claim]:
    """Return the paper's Fig. 5a claims set against ours."""
    from lithiophilic.analysis.report import claims_5a

    return claims_5a({"rows": result.rows})


def _with_edges(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows with γ at both Δμ-window edges filled in (older rows: from their γ(Δμ) line)."""
    out = []
    for r in rows:
        row = dict(r)
        edges = row_gamma_edges_j_per_m2(r)
        if edges is not None:
            row["gamma_relaxed_at_delta_mu_min_j_per_m2"] = edges[0]
            row["gamma_relaxed_at_delta_mu_max_j_per_m2"] = edges[1]
        out.append(row)
    return out


def lowest_terminations(result: Result) -> list[dict[str, Any]]:
    """Return, per material and facet, the lowest-γ termination at the Δμ-min (Cu-rich) edge.

    Keys: ``material``, ``facet``, ``miller``, ``termination`` and ``changes_across_window``
    (another termination is lowest at the Δμ-max edge);
    see :func:`~lithiophilic.analysis.surface.lowest_gamma_termination`.
    """
    out = []
    pairs = dict.fromkeys((r["material"], tuple(r["miller"])) for r in result.rows)
    for material, miller in pairs:
        try:
            term, changes = lowest_gamma_termination(result, material, list(miller))
        except AnalysisError:
            continue  # nothing converged for this facet
        out.append(
            {
                "material": material,
                "facet": facet_label(miller),
                "miller": list(miller),
                "termination": term,
                "changes_across_window": changes,
            }
        )
    return out


def gamma_table_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Return the Fig. 5a table rows of stored surface-energy rows.

    Keys: ``material``, ``facet``, ``termination`` (index, with ``sN`` for SQS sample seed N),
    ``n_layers``, ``n_atoms``, ``method``, ``gamma_unrelaxed_j_per_m2``,
    ``gamma_relaxed_j_per_m2``, ``gamma_relaxed_ev_per_a2`` (None: not converged),
    ``gamma_range_j_per_m2`` (``[min, max]`` over Δμ for non-stoichiometric slabs, else
    None), ``gamma_cu_rich_edge_j_per_m2`` (relaxed γ at the Δμ-min edge of the window: the
    Cu-rich edge of γ-brass, what the 5a verdict uses; = γ for stoichiometric slabs),
    ``delta_mu_window_ev`` (``[min, max]``, None when stoichiometric), ``delta_mu_window_source``
    and ``converged``.
    """
    table = []
    for r in _with_edges(rows):
        seed = r.get("sqs_seed")
        g = r.get("gamma_relaxed_j_per_m2")
        span = None
        if r.get("method") == "chemical-potential" and g is not None:
            span = [r["gamma_relaxed_min_j_per_m2"], r["gamma_relaxed_max_j_per_m2"]]
        table.append(
            {
                "material": r["material"],
                "facet": facet_label(r["miller"]),
                "termination": str(r["termination"]) + (f" s{seed}" if seed is not None else ""),
                "n_layers": r["n_layers"],
                "n_atoms": r["n_atoms"],
                "method": r["method"],
                "gamma_unrelaxed_j_per_m2": r["gamma_unrelaxed_j_per_m2"],
                "gamma_relaxed_j_per_m2": g,
                "gamma_relaxed_ev_per_a2": None if g is None else r["gamma_relaxed_ev_per_a2"],
                "gamma_range_j_per_m2": span,
                "gamma_cu_rich_edge_j_per_m2": None
                if g is None
                else r.get("gamma_relaxed_at_delta_mu_min_j_per_m2"),
                "delta_mu_window_ev": r.get("delta_mu_window_ev") if span else None,
                "delta_mu_window_source": r.get("delta_mu_window_source") if span else None,
                "converged": bool(r["converged"]),
            }
        )
    return table


def table_rows(result: Result) -> list[dict[str, Any]]:
    """Return the rows of the Fig. 5a table (see :func:`gamma_table_rows`)."""
    return gamma_table_rows(result.rows)
