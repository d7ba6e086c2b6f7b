"""One Li atom on every adsorption site of each facet (Fig. 5c).

For each material and facet the study relaxes the clean slab (the surface study's slab, reused
from the database when that study relaxed it), the two Li references (bcc Li and the isolated
atom) and one Li on every symmetry- and chemically distinct site, and stores a
:class:`~lithiophilic.workflows.binding.LiSiteDoc` per site and a
:class:`~lithiophilic.workflows.binding.LiSiteBindingDoc` (strongest valid site, spread) per
facet. Conventions: :data:`~lithiophilic.analysis.binding.BINDING_DEFINITION`
(E_b = −E_ads, larger = stronger; vs bcc Li and vs the atom).

Examples
--------
>>> from lithiophilic.studies import li_sites
>>> options = li_sites.Options.quick(materials=["Cu"], max_sites=1)
>>> options.li_fmax_ev_per_a, options.n_layers
(0.1, 4)
>>> sorted(li_sites.build_flows(options))
['Cu 111']

``li_sites.run(options)`` runs the flows into the default store and returns a :class:`Result`;
``li_sites.figures(result, "reports")`` draws Fig. 5c.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Self

from monty.json import MontyDecoder
from pydantic import Field, field_validator, model_validator

from lithiophilic import defaults
from lithiophilic.analysis.binding import BINDING_DEFINITION, plot_site_binding
from lithiophilic.analysis.figures import figure_path
from lithiophilic.analysis.li_outcome import CHOICE_MAX_EDGE, OUTCOME_DEFINITION, OutcomeSettings
from lithiophilic.analysis.surface import facet_label
from lithiophilic.db import get_output_dict, latest_rows
from lithiophilic.errors import ConfigurationError
from lithiophilic.potentials import CalculatorSpec, ensure_available
from lithiophilic.studies import surface
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
from lithiophilic.workflows.binding import LOWEST_GAMMA, LiSiteBindingMaker, substrate_bulk

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from jobflow import Flow, JobStore

    from lithiophilic.analysis.claims import Claim
    from lithiophilic.studies.base import JobEvent

__all__ = [
    "FIGURE_NAME",
    "SLAB_FIELDS",
    "Options",
    "Result",
    "build_flows",
    "claims",
    "collect",
    "figures",
    "flow_label",
    "latest_document",
    "plain_document",
    "run",
    "site_maker",
    "sqs_sample_count",
    "surface_options",
    "table_rows",
]

logger = logging.getLogger(__name__)

#: File name of Fig. 5c written by :func:`figures` (in ``out_dir``).
FIGURE_NAME = "fig5c_li_binding.png"

#: The clean-slab settings, defined by the surface study (:class:`surface.Options
#: <lithiophilic.studies.surface.Options>`) and taken from it field by field (default, bounds,
#: description), so that the Li flows cut and relax the very slabs the surface study stored.
SLAB_FIELDS: tuple[str, ...] = (
    "n_layers",
    "min_thickness_a",
    "vacuum_a",
    "n_fixed_layers",
    "fix",
    "slab_fmax_ev_per_a",
    "sqs_periods",
    "max_terminations",
)
_SURFACE = surface.Options.model_fields


_SITE_KEYS = (
    "material",
    "miller",
    "site_label",
    "site_kind",
    "final_site_kind",
    "moved",
    "subsurface",
    "converged",
    "binding_energy_bcc_ev",
    "binding_energy_atom_ev",
    "adsorption_energy_bcc_ev",
    "adsorption_energy_atom_ev",
    "calculator_name",
    "calculator_model",
    "outcome",
    "coordination_number",
    "local_height_a",
    "substrate_change_ev",
    "termination",
    "sqs_seed",
)


def li_site_rows(
    store: JobStore, *, materials: list[str] | None = None, calculator: str | None = None
) -> list[dict[str, Any]]:
    """Return one row per stored single-Li site result (the newest per site and calculator)."""
    identity = (
        "material",
        "miller",
        "termination",
        "sqs_seed",
        "site_label",
        "calculator_name",
        "calculator_model",
    )
    return latest_rows(store, "li_site", _SITE_KEYS, identity, materials, calculator)


class Options(StudyOptions):
    """Every setting of the single-Li binding study (Fig. 5c).

    The default is the production preset; :meth:`quick` is ``binding --quick``: the surface
    study's quick slabs and a Li force threshold of 0.1 eV/Å. A bad value raises
    :class:`~lithiophilic.errors.ConfigurationError` naming the field.
    """

    study: ClassVar[str] = "li_sites"

    materials: list[MaterialInput] = Field(
        default_factory=lambda: list(defaults.PAPER_MATERIALS),
        min_length=1,
        description="Materials: catalogue names or formulas, structure files (CIF/POSCAR), "
        "pymatgen Structures or ASE Atoms; default the paper's three.",
    )
    millers: list[list[int]] = Field(
        default_factory=lambda: [[1, 1, 1]],
        min_length=1,
        description="Facets, Miller indices of the conventional cell; default (111).",
    )
    calculator: str = Field("sevenn", description="Calculator registry name.")
    max_sites: int | None = Field(
        None,
        ge=1,
        description="Relax at most this many sites per slab, round-robin over site kinds "
        "(None: all).",
    )
    li_fmax_ev_per_a: float = Field(
        defaults.SLAB_FMAX_EV_PER_A,
        description="Force threshold of the slab+Li relaxations, eV/Å (0.001–0.5).",
    )
    refine_calculator: str | None = Field(
        None,
        description="Prescreen mode: rank sites with `calculator`, refine the best with this "
        "one (e.g. gpaw); None: no refinement.",
    )
    refine_top_k: int = Field(3, ge=1, description="Sites refined in prescreen mode.")
    refine_all: bool = Field(
        False,
        description="Refine every site too, to check the refined-lowest site was in the top k.",
    )
    termination: Annotated[int, Field(ge=0)] | Literal["lowest_gamma"] = Field(
        LOWEST_GAMMA,
        description="Slab termination of complex structures (γ-brass): an index, or "
        "'lowest_gamma': the lowest-γ termination at the Δμ-min (Cu-rich) edge of the window, "
        "plus the one lowest at the other edge if it differs.",
    )
    sqs_samples: int = Field(
        3,
        ge=1,
        le=20,
        description="Random alloys: SQS samples (slabs) per facet; the spread over samples is "
        "reported (quick: 1).",
    )
    start_displacement_a: float = Field(
        0.03,
        ge=0.0,
        le=0.2,
        description="Seeded lateral displacement of each Li start from its site, Å (symmetry "
        "breaking: same inputs, same site in every run; 0: exactly on the site).",
    )
    check_substrate: bool = Field(
        True,
        description="Re-relax each slab with its Li removed (reconstruction test).",
    )
    radius_factor: float = Field(
        1.2,
        ge=1.0,
        le=1.5,
        description="Li coordination: neighbours within this × (r_Li + r_X), covalent radii.",
    )
    min_local_height_a: float = Field(
        0.5,
        ge=-1.0,
        le=2.0,
        description="Li lower than this above the local surface is incorporated, Å.",
    )
    reconstruction_threshold_ev: float = Field(
        0.05,
        ge=0.0,
        le=1.0,
        description="Substrate re-relaxed this far below the clean slab: reconstructed, eV.",
    )
    # the clean slabs: the surface study's fields (one definition, see SLAB_FIELDS)
    n_layers: int = _SURFACE["n_layers"]
    min_thickness_a: float = _SURFACE["min_thickness_a"]
    vacuum_a: float = _SURFACE["vacuum_a"]
    n_fixed_layers: int = _SURFACE["n_fixed_layers"]
    fix: Literal["center", "bottom"] = _SURFACE["fix"]
    slab_fmax_ev_per_a: float = _SURFACE["slab_fmax_ev_per_a"]
    sqs_periods: int = _SURFACE["sqs_periods"]
    max_terminations: int | None = _SURFACE["max_terminations"]

    @classmethod
    def quick(cls, **overrides: Any) -> Self:
        """Return ``binding --quick`` for single Li (the surface study's quick slabs, Li fmax 0.1 eV/Å)."""
        slabs = surface.Options.quick()
        quick = {name: getattr(slabs, name) for name in SLAB_FIELDS}
        quick["li_fmax_ev_per_a"] = defaults.QUICK_SLAB_FMAX_EV_PER_A
        quick["sqs_samples"] = 1
        return cls(**{**quick, **overrides})

    @field_validator("li_fmax_ev_per_a", mode="after")
    @classmethod
    def _check_li_fmax(cls, value: float) -> float:
        if not 0.001 <= value <= 0.5:
            msg = f"{value} eV/Å is outside the allowed range 0.001–0.5"
            raise ValueError(msg)
        return value

    @field_validator("calculator", "refine_calculator", mode="after")
    @classmethod
    def _check_calculator(cls, name: str | None) -> str | None:
        return check_calculator_name(name)

    @model_validator(mode="after")
    def _check_slabs(self) -> Self:
        # the surface study checks facets and slab settings (planes left free, SQS settings)
        try:
            surface_options(self)
        except ConfigurationError as exc:
            msg = str(exc)
            while msg.startswith("Options: "):  # the surface study's own prefixes
                msg = msg.removeprefix("Options: ")
            raise ValueError(msg) from None
        return self


class Result(StudyResult):
    """Stored single-Li binding for the options asked (Fig. 5c).

    ``missing`` names each ``material (hkl)`` without a stored summary (and, in prescreen
    mode, without a prescreen document).
    """

    study: str = Field("li_sites", description="Study name.")
    definition: str = Field(BINDING_DEFINITION, description="Conventions of E_ads and E_b.")
    outcome_definition: str = Field(
        OUTCOME_DEFINITION, description="How a relaxed Li is classified (adsorbed, ...)."
    )
    summaries: list[dict[str, Any]] = Field(
        default_factory=list,
        description="One LiSiteBindingDoc per material and facet (strongest valid site, "
        "binding_energy_bcc_ev / binding_energy_atom_ev in eV, spread_ev, per-site rows).",
    )
    prescreens: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Prescreen mode: one LiPrescreenDoc per material and facet (refined sites, "
        "whether the screen's ranking held).",
    )
    site_rows: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Fig. 5c: one row per stored site (newest per site) of these materials, "
        "facets and calculator, converged and with the Li on the surface.",
    )


def surface_options(options: Options) -> surface.Options:
    """Return the surface study's options whose slabs these Li flows use.

    Raises
    ------
    ConfigurationError
        If the slab settings are invalid (see :class:`surface.Options
        <lithiophilic.studies.surface.Options>`).
    """
    return surface.Options(
        materials=list(options.materials),
        millers=[list(m) for m in options.millers],
        calculator=options.calculator,
        **{name: getattr(options, name) for name in SLAB_FIELDS},
    )


def site_maker(options: Options) -> LiSiteBindingMaker:
    """Return the single-Li Maker of ``options``, with its calculator(s).

    Its slabs are cut by the surface study's Maker (:func:`surface_options`), so a slab that
    study relaxed is reused; the Li relaxations use ``li_fmax_ev_per_a``.

    Raises
    ------
    ConfigurationError
        For invalid slab settings.
    """
    spec = CalculatorSpec(options.calculator)
    base = LiSiteBindingMaker(
        surface_maker=surface.surface_maker(surface_options(options)),
        max_sites=options.max_sites,
        termination=options.termination,
        start_displacement_a=options.start_displacement_a,
        check_substrate=options.check_substrate,
        outcome_settings=outcome_settings(options).as_dict(),
    )
    base = replace(
        base,
        li_relax_maker=replace(base.li_relax_maker, fmax_ev_per_a=options.li_fmax_ev_per_a),
    )
    refine = CalculatorSpec(options.refine_calculator) if options.refine_calculator else None
    maker = base.with_calculator(spec).with_refine_calculator(
        refine, top_k=options.refine_top_k, refine_all=options.refine_all
    )
    # VASP: atomate2 jobs under custodian in every relax/static slot (surface_maker's too)
    return with_native_makers(maker, spec)


def outcome_settings(options: Options) -> OutcomeSettings:
    """Return the outcome-classifier thresholds of ``options``."""
    return OutcomeSettings(
        radius_factor=options.radius_factor,
        min_local_height_a=options.min_local_height_a,
        reconstruction_threshold_ev=options.reconstruction_threshold_ev,
    )


def sqs_sample_count(options: Options, material: Any) -> int:
    """Return the SQS samples bound for ``material``: ``options.sqs_samples`` for a random alloy, else 1."""
    _, _, kind = substrate_bulk(material, site_maker(options).surface_maker)
    return options.sqs_samples if kind == "sqs" else 1


def flow_label(label: str, miller: Sequence[int], sample: int = 0) -> str:
    """Return the key of one material's facet flow, e.g. ``"Cu 111"`` (SQS sample k > 0: ``" k<k>"``)."""
    key = f"{label} {''.join(map(str, miller))}"
    return key if sample == 0 else f"{key} k{sample}"


def build_flows(options: Options) -> dict[str, Flow]:
    """Return one flow per material and facet, keyed by :func:`flow_label`.

    Raises
    ------
    ConfigurationError
        For an unknown material or unreadable structure file, two materials with the same
        label, elements a calculator does not cover (Li included), or a calculator whose
        package is not installed.
    """
    maker = site_maker(options)
    flows: dict[str, Flow] = {}
    labels: set[str] = set()
    for label, material in materials_of(options.materials):
        if label in labels:
            msg = f"materials: two materials have the label {label!r}; give each one once"
            raise ConfigurationError(msg)
        labels.add(label)
        n_samples = sqs_sample_count(options, material)
        for miller in options.millers:
            for k in range(n_samples):
                mk = maker if k == 0 else replace(maker, sqs_sample=k)
                flows[flow_label(label, miller, k)] = mk.make(material, miller, name=label)
    ensure_available(CalculatorSpec(options.calculator))
    if options.refine_calculator:
        ensure_available(CalculatorSpec(options.refine_calculator))
    return keep_relax_trajectories(flows, options.keep_trajectory)


def run(
    options: Options,
    store: JobStore | None = None,
    *,
    data_dir: str | Path | None = None,
    on_job: Callable[[JobEvent], None] | None = None,
    flows: Mapping[str, Flow] | None = None,
) -> Result:
    """Run the study locally into ``store`` and return what this run stored.

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
        The summaries of the flows just run; ``failed`` names the flows that failed.
    """
    store, outputs, failed = build_and_run(
        options, store, build_flows=build_flows, data_dir=data_dir, on_job=on_job, flows=flows
    )
    result = collect(store, options, outputs=outputs)
    result.failed.update(failed)
    return result


def latest_document(store: JobStore, criteria: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return the newest stored output matching ``criteria`` as a plain dict (None: none).

    The output is decoded with its stored class (``@module``/``@class``) and dumped again,
    so documents read here have the shape of those a flow returns.
    """
    for doc in store.query(criteria=dict(criteria), sort={"completed_at": -1}, limit=1):
        return plain_document(doc["output"])
    return None


def plain_document(output: Any) -> dict[str, Any]:
    """Return a stored output (serialised document or dict) as a plain dict of its fields."""
    decoded = MontyDecoder().process_decoded(output)
    if hasattr(decoded, "model_dump"):
        return decoded.model_dump()
    return dict(decoded)


def _summary(
    store: JobStore,
    label: str,
    miller: list[int],
    calculator: str,
    uuid: str | None,
    sqs_seed: int | None = None,
) -> dict[str, Any] | None:
    if uuid is not None:  # the flow just run: its own output, or nothing if it failed
        out = get_output_dict(store, uuid)
        return out if out is not None and "rows" in out else None
    criteria: dict[str, Any] = {
        "output.doc_type": "li_binding",
        "output.material": label,
        "output.miller": miller,
        "output.calculator_name": calculator,
        "output.termination_choice": {"$ne": CHOICE_MAX_EDGE},
    }
    if sqs_seed is not None:
        criteria["output.sqs_seed"] = sqs_seed
    return latest_document(store, criteria)


def _companion(store: JobStore, summary: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return the second lowest-γ termination's summary stored by the same flow, if any."""
    crit = {
        "output.doc_type": "li_binding",
        "output.material": summary["material"],
        "output.miller": list(summary["miller"]),
        "output.calculator_name": summary["calculator_name"],
        "output.termination": summary.get("termination"),
    }
    primary = next(
        iter(store.query(criteria=crit, properties=["hosts"], sort={"completed_at": -1}, limit=1)),
        None,
    )
    if primary is None or not primary.get("hosts"):
        return None
    return latest_document(
        store,
        {
            "output.doc_type": "li_binding",
            "output.termination_choice": CHOICE_MAX_EDGE,
            "hosts": primary["hosts"][-1],
        },
    )


def _sample_seeds(options: Options, label: str) -> list[int | None]:
    """Return the SQS seeds of a material's samples ([None] for a material that is no SQS)."""
    material = next(m for lab, m in materials_of(options.materials) if lab == label)
    n = sqs_sample_count(options, material)
    if n == 1 and not _is_sqs(options, material):
        return [None]
    seed0 = site_maker(options).surface_maker.sqs_seed
    return [seed0 + k for k in range(n)]


def _is_sqs(options: Options, material: Any) -> bool:
    return substrate_bulk(material, site_maker(options).surface_maker)[2] == "sqs"


def collect(
    store: JobStore, options: Options, *, outputs: Mapping[str, str] | None = None
) -> Result:
    """Return the stored single-Li results of the options' materials, facets and calculator.

    Never raises for a half-finished study: each material and facet (and SQS sample) without
    a stored summary is named in ``Result.missing``. A γ-brass facet whose lowest-γ
    termination changes across the Δμ window has two summaries (``termination_choice``).

    Parameters
    ----------
    store
        The job store.
    options
        The study's settings.
    outputs
        Flow label -> uuid of its output (what :func:`run` just ran): those exact outputs are
        read. ``None``: the newest summary per material, facet, SQS sample and calculator.
    """
    labels = [material_label(m) for m in options.materials]
    summaries: list[dict[str, Any]] = []
    prescreens: list[dict[str, Any]] = []
    missing: list[str] = []
    for label in labels:
        seeds = _sample_seeds(options, label)
        for miller in options.millers:
            for k, seed in enumerate(seeds):
                key = flow_label(label, miller, k)
                uuid = outputs.get(key) if outputs is not None else None
                found = _summary(store, label, list(miller), options.calculator, uuid, seed)
                name = f"{label} {facet_label(miller)}" + ("" if seed is None else f" s{seed}")
                if found is None:
                    missing.append(name)
                    continue
                summaries.append(found)
                if found.get("termination_choice") not in (None, "fixed", "only one"):
                    other = _companion(store, found)
                    if other is not None:
                        summaries.append(other)
                if options.refine_calculator and k == 0:
                    pre = latest_document(
                        store,
                        {
                            "output.doc_type": "li_prescreen",
                            "output.material": label,
                            "output.miller": list(miller),
                            "output.calculator_name": options.refine_calculator,
                        },
                    )
                    if pre is None:
                        missing.append(f"{name} prescreen")
                    else:
                        prescreens.append(pre)
    keep = {
        (s["material"], tuple(s["miller"]), s.get("termination"), s.get("sqs_seed"))
        for s in summaries
    }
    rows = [
        r
        for r in li_site_rows(store, materials=labels, calculator=options.calculator)
        if r["miller"] in options.millers
        and r["converged"]
        and (
            r.get("outcome") is None
            or (r["material"], tuple(r["miller"]), r.get("termination"), r.get("sqs_seed")) in keep
        )
        and (r.get("outcome") is not None or not r["subsurface"])
    ]
    return Result(
        options=options.model_dump(mode="json"),
        summaries=summaries,
        prescreens=prescreens,
        site_rows=rows,
        missing=missing,
    )


def figures(result: Result, out_dir: str | Path, *, format: str = "png") -> dict[str, Path]:
    """Draw Fig. 5c (E_b of every adsorbed site, vs bcc Li and vs the atom); return ``{"5c": PNG}``.

    Incorporated and reconstructed sites are not drawn (they are in the table). Nothing is
    drawn (``{}``) when no adsorbed site result is stored.

    ``format``: ``"png"``, ``"pdf"`` or ``"svg"`` (the figure files' suffix); the open
    matplotlib Figures come from the analysis builders (``*_figure``).
    """
    figure = figure_path(Path(out_dir) / FIGURE_NAME, format)
    rows = [r for r in result.site_rows if r.get("outcome") in (None, "adsorbed")]
    if not rows:
        return {}
    png = plot_site_binding(rows, figure, reference="both")
    return {"5c": png}


def claims(result: Result, *, roles: Mapping[str, str] | None = None) -> list[Claim]:
    """Return the paper's Fig. 5c claims set against ours (:func:`analysis.claims.claims_5c`).

    ``roles``: role -> material label (default :data:`lithiophilic.defaults.PAPER_ROLES`).
    The verdict is computed over the outcome classifier's threshold range
    (:data:`~lithiophilic.analysis.li_outcome.OUTCOME_GRID`).
    """
    from lithiophilic.analysis.claims import claims_5c

    return claims_5c({"summaries": result.summaries}, roles=roles)


def _where(summary: Mapping[str, Any]) -> str:
    """Return the slab a summary is about: ``t<termination>`` and/or ``s<SQS seed>``."""
    seed = summary.get("sqs_seed")
    term = summary.get("termination")
    if seed is not None:
        return f"s{seed}"
    return "" if term is None else f"t{term}"


def table_rows(result: Result) -> list[dict[str, Any]]:
    """Return the Fig. 5c table: one row per relaxed site, strongest first per slab.

    Keys: ``material``, ``facet``, ``slab`` (``t<termination>`` or ``s<SQS seed>``),
    ``site_label``, ``final_site_kind`` (where the Li ended up in the plane), ``outcome``
    (adsorbed/incorporated/reconstructed and detail, :mod:`~lithiophilic.analysis.li_outcome`),
    ``coordination_number``, ``local_height_a`` (Å above the local surface),
    ``substrate_change_ev`` (E of the slab re-relaxed without the Li − E of the clean slab),
    ``binding_energy_bcc_ev`` (eV, larger = stronger), ``strongest`` (``"adsorbed"`` on the
    strongest adsorbed site of the slab, ``"incorporated"``/``"reconstructed"`` on the strongest
    of those) and ``spread_over_samples_ev`` (on the strongest adsorbed row of a random alloy
    with several SQS samples: max − min of the samples' strongest E_b, eV).
    """
    per_material: dict[tuple[str, str], list[float]] = {}
    for s in result.summaries:
        if s.get("sqs_seed") is not None and s.get("lowest_outcome") in (None, "adsorbed"):
            key = (s["material"], facet_label(s["miller"]))
            per_material.setdefault(key, []).append(float(s["binding_energy_bcc_ev"]))
    table: list[dict[str, Any]] = []
    for s in result.summaries:
        facet = facet_label(s["miller"])
        samples = per_material.get((s["material"], facet), [])
        inc = s.get("strongest_incorporated") or {}
        rows = sorted(
            s.get("rows")
            or [  # a summary without per-site rows: its strongest site only
                {
                    "site_label": s["lowest_site_label"],
                    "final_site_kind": s["lowest_final_site_kind"],
                    "binding_energy_bcc_ev": s["binding_energy_bcc_ev"],
                    "converged": True,
                }
            ],
            key=lambda r: -float(r["binding_energy_bcc_ev"]),
        )
        for r in rows:
            outcome = r.get("outcome")
            strongest = None
            if r["site_label"] == s["lowest_site_label"]:
                strongest = s.get("lowest_outcome") or "adsorbed"
            elif r["site_label"] == inc.get("site_label"):
                strongest = inc.get("outcome")
            table.append(
                {
                    "material": s["material"],
                    "facet": facet,
                    "slab": _where(s),
                    "site_label": r["site_label"],
                    "final_site_kind": r["final_site_kind"],
                    "outcome": None
                    if outcome is None
                    else f"{outcome} ({r.get('outcome_detail')})",
                    "coordination_number": r.get("coordination_number"),
                    "local_height_a": r.get("local_height_a"),
                    "substrate_change_ev": r.get("substrate_change_ev"),
                    "binding_energy_bcc_ev": r["binding_energy_bcc_ev"],
                    "converged": r["converged"],
                    "strongest": strongest,
                    "spread_over_samples_ev": max(samples) - min(samples)
                    if strongest == "adsorbed" and len(samples) > 1
                    else None,
                }
            )
    return table
