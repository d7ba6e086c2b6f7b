"""Screen current-collector skins by lithiophilicity descriptors and rank them (issue 20).

For each skin (anything ``structures build`` accepts: an element, a catalogue compound, a
solid-solution formula as an SQS, or a structure file) the study stores, with one calculator:

- **single-Li adsorption** (the 5c flows, :mod:`lithiophilic.studies.li_sites`): E_b of the
  strongest *adsorbed* site vs bcc Li, ``adsorption_binding_energy_ev``, eV, larger = stronger;
- **Li incorporation into the outermost layer / subsurface** (the same 5c flows, their
  incorporated outcome class): ``li_incorporation_energy_ev`` = E(slab+Li) − E(slab) −
  ε_Li(bcc) of the strongest incorporated site, eV, negative = Li prefers to enter the skin;
  None when no Li was incorporated (a fact, not a failure);
- **first Li layer** (the 5d Maker, one bcc Li(110) layer): E_b(1) = −[E(1) − E(0) −
  N_layer ε_Li(bcc)]/N_layer, ``first_layer_binding_energy_ev``, eV/Li, > 0 = underpotential
  deposition;
- **skin atoms into Li** (:class:`~lithiophilic.workflows.screen.SkinDissolutionMaker`):
  E_sol(X) = E(Li_{N−1}X) − E(Li_N) + ε_Li − ε_X, composition-weighted over the skin's
  elements, ``skin_dissolution_energy_ev``, eV per skin atom, negative = dissolves.

and ranks the skins with the rule fixed in advance in
:mod:`lithiophilic.analysis.screen_rule` (``RULE_VERSION``).

Facet (``facet``): by default (``None``) the lowest-γ low-index facet of each skin computed
with the same calculator (:mod:`lithiophilic.studies.screen_facet`): :func:`run` first runs the
surface flows of the candidate facets (``"<skin> facets"``), chooses, then runs the rest;
``Result.facet_choice`` says which facet and why. Li incorporation and Li–skin alloying
descriptors (reported only): :mod:`lithiophilic.studies.screen_li`. Given ``facet=(111)``,
(111) means the close-packed facet of each skin's lattice:
fcc (111); hcp (Zn, Mg) (0001), given as ``[0, 0, 1]`` of the hexagonal cell; bcc (110);
β-Sn (bct, I4₁/amd) (100), the densest low-index plane of the conventional tetragonal cell.
Complex compounds (γ-brass) and fcc SQS keep (111). Any other facet is used as given on every
skin.

Examples
--------
>>> from lithiophilic.studies import screen
>>> options = screen.Options.quick(skins=["Cu", "Zn"], facet=[1, 1, 1])
>>> [screen.skin_facet(options, s) for s in options.skins]
[[1, 1, 1], [0, 0, 1]]
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self

from jobflow import Flow
from pydantic import Field, field_validator, model_validator

from lithiophilic.analysis.screen_compare import compare_with_overpotentials
from lithiophilic.analysis.screen_rule import RULE, RULE_TEXT, RULE_VERSION, rank_skins
from lithiophilic.db import get_output_dict
from lithiophilic.errors import ConfigurationError
from lithiophilic.potentials import CalculatorSpec, ensure_available
from lithiophilic.potentials.registry import check_elements
from lithiophilic.studies import li_layers, li_sites, screen_li, screen_wetting_neb
from lithiophilic.studies.base import (
    MaterialInput,
    StudyOptions,
    StudyResult,
    build_and_run,
    check_calculator_name,
    keep_relax_trajectories,
    materials_of,
)
from lithiophilic.studies.screen_skin import (
    CLOSE_PACKED,
    layers_options,
    sites_options,
    skin_bulk,
    skin_facet,
    skin_lattice,
)
from lithiophilic.workflows.screen import (
    DISSOLUTION_DEFINITION,
    LiPairMaker,
    SkinDissolutionMaker,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from jobflow import JobStore

    from lithiophilic.studies.base import JobEvent

__all__ = [
    "CLOSE_PACKED",
    "DESCRIPTORS",
    "FIGURE_NAME",
    "Options",
    "Result",
    "build_flows",
    "collect",
    "figures",
    "run",
    "skin_facet",
    "table_rows",
]

logger = logging.getLogger(__name__)

#: File name of the descriptor figure written by :func:`figures`.
FIGURE_NAME = "screen_descriptors.png"

#: Descriptors this study computes (names of :data:`~lithiophilic.analysis.screen_rule.RULE`).
DESCRIPTORS: tuple[str, ...] = (
    "adsorption_binding_energy_ev",
    "li_incorporation_energy_ev",
    "first_layer_binding_energy_ev",
    "skin_dissolution_energy_ev",
    "pair_interaction_energy_ev",
    "adhesion_energy_j_per_m2",
    "diffusion_barrier_ev",
)

_SCREEN_DEFINITION = (
    "adsorption_binding_energy_ev: E_b = -[E(slab+Li) - E(slab) - eps_Li(bcc)] of the strongest "
    "adsorbed site, eV (larger = stronger). li_incorporation_energy_ev: E(slab+Li) - E(slab) - "
    "eps_Li(bcc) of the strongest incorporated site (outermost layer / subsurface), eV "
    "(negative = Li enters the skin; None: no Li was incorporated). "
    "first_layer_binding_energy_ev: E_b(1) = -[E(1) - E(0) - N_layer eps_Li(bcc)]/N_layer of "
    "one bcc Li(110) layer, eV/Li (> 0: underpotential deposition). skin_dissolution_energy_ev: "
    "composition-weighted E_sol(X); " + DISSOLUTION_DEFINITION + " pair_interaction_energy_ev: "
    "E_int(ij) = E(ij) - E(i) - E(j) + E(0), i the strongest adsorbed site, j the nearest site "
    "of its kind >= 2 A away, eV per pair (negative = Li attract; multi-atom primitive "
    "cells: on the 5c flow's termination). "
    + screen_wetting_neb.DEFINITION
    + " Ranking: "
    + RULE_TEXT
)


class Options(StudyOptions):
    """Every setting of the skin screen.

    The default is the production preset; :meth:`quick` is ``screen --quick`` (the quick 5c/5d
    slabs, at most 4 Li sites per slab, a 16-atom Li host). A bad value raises
    :class:`~lithiophilic.errors.ConfigurationError` naming the field.
    """

    study: ClassVar[str] = "screen"

    skins: list[MaterialInput] = Field(
        min_length=1,
        description="Skins: elements, catalogue compounds, solid-solution formulas (SQS) or "
        "structure files.",
    )
    facet: list[int] | None = Field(
        None,
        description="Facet; None: the lowest-γ low-index facet of each skin computed with the "
        "same calculator (studies.screen_facet); (111) = the close-packed facet of each lattice "
        "(fcc (111), hcp (0001), bcc (110), beta-Sn (100)); any other facet is used as given.",
    )
    li_compounds: list[str] = Field(
        default_factory=list,
        description="Li-X compound structure files (CIF/POSCAR) added to the catalogue's "
        "prototypes in the Li-skin alloying hull.",
    )
    facet_choice: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Skin -> the facet chosen by the facet stage (facet, termination, the "
        "candidates' relaxed γ in J/m2, reason); filled by run/collect when facet is None.",
    )
    calculator: str = Field("sevenn", description="Calculator registry name (must cover Li).")
    preset: Literal["full", "quick"] = Field(
        "full", description="Slab, site and supercell settings: 'full' or 'quick'."
    )
    max_sites: int | None = Field(
        None, ge=1, description="Li sites relaxed per slab (None: all; quick: 4)."
    )
    dissolution_supercell: int = Field(
        3, ge=2, le=5, description="n of the n×n×n bcc Li host (N = 2n³ atoms; quick: 2)."
    )
    wetting_layers: int | None = Field(
        None, ge=1, le=10, description="Li(110) layers of the wetting film (None: 4; quick: 3)."
    )
    wetting_max_strain: float | None = Field(
        None,
        gt=0.0,
        lt=0.5,
        description="Largest principal strain of the wetting film's coincidence cell "
        "(fraction; None: the first-layer bound, 5 %, quick gamma-brass/hcp 8 %).",
    )
    neb_images: int | None = Field(
        None, ge=1, le=15, description="Moving NEB images (None: 5; quick: 3)."
    )
    neb_climb: bool | None = Field(None, description="Climbing-image NEB (None: yes; quick: no).")

    @classmethod
    def quick(cls, **overrides: Any) -> Self:
        """Return ``screen --quick``: quick slabs, ≤ 4 Li sites, 16-atom Li host."""
        return cls(**{"preset": "quick", "max_sites": 4, "dissolution_supercell": 2, **overrides})

    @field_validator("facet", mode="after")
    @classmethod
    def _check_facet(cls, value: list[int] | None) -> list[int] | None:
        if value is None:
            return value
        if len(value) != 3 or not any(value) or max(abs(i) for i in value) > 3:
            msg = f"{value} is not a low-index facet (three integers, not all 0, |h| <= 3)"
            raise ValueError(msg)
        return value

    @field_validator("calculator", mode="after")
    @classmethod
    def _check_calculator(cls, name: str) -> str:
        return check_calculator_name(name)  # type: ignore[return-value]

    @model_validator(mode="after")
    def _check_skins(self) -> Self:
        labels: set[str] = set()
        for value in self.skins:
            try:
                ((label, material),) = materials_of([value])
                atoms, _ = skin_bulk(material)
            except ConfigurationError as exc:
                msg = f"skins: {exc}"
                raise ValueError(msg) from None
            if label in labels:
                msg = f"skins: {label!r} is given twice"
                raise ValueError(msg)
            labels.add(label)
            elements = sorted({*atoms.get_chemical_symbols(), "Li"})
            try:
                check_elements(CalculatorSpec(self.calculator), elements)
            except ConfigurationError as exc:
                msg = f"calculator: {exc}"
                raise ValueError(msg) from None
        if self.li_compounds:
            try:
                screen_li.check_li_compounds(self)
            except ConfigurationError as exc:
                raise ValueError(str(exc)) from None
        return self


class Result(StudyResult):
    """Stored descriptors, scores and ranks of the skins asked for."""

    study: str = Field("screen", description="Study name.")
    definition: str = Field(_SCREEN_DEFINITION, description="Descriptor and ranking conventions.")
    rule_version: str = Field(RULE_VERSION, description="Version of the ranking rule.")
    facets: dict[str, list[int]] = Field(
        default_factory=dict, description="Skin -> facet used (Miller index of its cell)."
    )
    lattices: dict[str, str] = Field(default_factory=dict, description="Skin -> bulk lattice.")
    descriptors: dict[str, dict[str, float | None]] = Field(
        default_factory=dict, description="Skin -> descriptor -> value (units in the names)."
    )
    reasons: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="Skin -> descriptor -> why it is missing."
    )
    ranking: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Per skin: score (eV), rank (1 = most lithiophilic of this run, None: "
        "unranked), rule_version, descriptors, contributions, tied_with, reasons (descriptor "
        "-> why it is missing).",
    )
    dropped: dict[str, str] = Field(
        default_factory=dict, description="Descriptors dropped from every score, and why."
    )
    wetting: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Skin -> LiWettingDoc numbers: W_adh (J/m2, eV/A2), film strain energy (eV), "
        "gamma_Li(110) (J/m2), cos(theta) raw, contact angle (deg), regime, cell, strain.",
    )
    mobility: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Skin -> LiHopDoc numbers: barrier, reverse barrier, sites, hop length "
        "(A), profile (eV), NEB settings, converged, failure.",
    )
    dissolution: list[dict[str, Any]] = Field(
        default_factory=list, description="The SkinDissolutionDoc of each skin element."
    )
    comparison: dict[str, Any] | None = Field(
        None,
        description="Score and each descriptor vs the measured overpotentials of Cu, Cu5Zn8, "
        "Cu0.64Zn0.36 (Spearman rho vs -eta, pairwise orderings); None: < 2 of them screened.",
    )
    facet_choice: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Skin -> how its facet was chosen: facet, facet_name, chosen_by ('lowest "
        "relaxed gamma', 'given', fallback), candidates' relaxed γ (J/m2), reason.",
    )
    li_details: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Skin -> Li incorporation documents (surface, bulk, 5c interstitials) and "
        "the Li-compound convex hull (studies.screen_li).",
    )


def _elements(material: Any) -> dict[str, float]:
    atoms, _ = skin_bulk(material)
    symbols = atoms.get_chemical_symbols()
    return {el: symbols.count(el) / len(symbols) for el in sorted(set(symbols))}


def dissolution_maker(options: Options, skin: Any) -> SkinDissolutionMaker:
    """Return the dissolution Maker: the surface study's bulk relaxation (reused bulks)."""
    bulk = li_sites.site_maker(sites_options(options, skin)).surface_maker.bulk_relax_maker
    return SkinDissolutionMaker(relax_maker=bulk, supercell=options.dissolution_supercell)


def build_flows(options: Options) -> dict[str, Flow]:
    """Return the flows of every skin: ``<skin> adsorption``, ``<skin> first layer``, ``<X> in Li``.

    Each skin's flows are independent (resumable one by one; side by side on Slurm); an
    element shared by several skins has one dissolution flow.

    Raises
    ------
    ConfigurationError
        For input the 5c/5d flows reject, or a calculator that is not installed.
    """
    flows: dict[str, Flow] = {}
    pending = screen_li.pending_facets(options)
    for label, material in materials_of(options.skins):
        if label in pending:  # facet stage first: run() chooses the facet, then builds the rest
            flows[f"{label} facets"] = screen_li.facet_stage_flows(options, label, material)
            continue
        facet = skin_facet(options, material)
        for key, flow in screen_li.li_flows(options, label, material, facet).items():
            flows.setdefault(key, flow)
        for key, flow in li_sites.build_flows(sites_options(options, material)).items():
            flows[f"{label} adsorption" + key.removeprefix(li_sites.flow_label(label, facet))] = (
                flow
            )
        lo = layers_options(options, material)
        no_cell = screen_wetting_neb.no_cell_reason(
            options, label, material, facet, "first layer", lo, bulk=skin_bulk(material)
        )
        if no_cell is None:
            flows[f"{label} first layer"] = li_layers.layer_maker(lo).make(
                material, facet, name=label
            )
        else:  # collect states the same reason (E_b(1) is required: the skin is unranked)
            logger.warning("%s: %s", label, no_cell)
        # one flow with the 5c flow it reads (run_locally resolves references within a flow);
        # on a multi-atom cell the pair job cuts the termination the 5c summary names
        sites_flow = flows[f"{label} adsorption"]
        pair = LiPairMaker(site_maker=li_sites.site_maker(sites_options(options, material)))
        pair_flow = pair.make(material, facet, sites_flow.output, name=label)
        flows[f"{label} adsorption"] = Flow(
            [sites_flow, pair_flow], output=sites_flow.output, name=f"{label} adsorption+pair"
        )
        screen_wetting_neb.add_flows(
            flows,
            options,
            label,
            material,
            facet,
            sites_options=sites_options(options, material),
            layers_options=layers_options(options, material),
            bulk=skin_bulk(material),
        )
        maker = dissolution_maker(options, material)
        for element in _elements(material):
            flows.setdefault(f"{element} in Li", maker.make(element))
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
    """Run the screen locally (skins one after another) and return the collected Result."""
    store, outputs, failed = build_and_run(
        options, store, build_flows=build_flows, data_dir=data_dir, on_job=on_job, flows=flows
    )
    if screen_li.pending_facets(options):  # the facet stage ran: choose, then run the rest
        options = screen_li.resolve_facets(store, options)
        store, more, failed_more = build_and_run(
            options, store, build_flows=build_flows, data_dir=data_dir, on_job=on_job
        )
        outputs, failed = {**outputs, **more}, {**failed, **failed_more}
    result = collect(store, options, outputs=outputs)
    result.failed.update(failed)
    return result


def _latest(store: JobStore, criteria: dict[str, Any]) -> dict[str, Any] | None:
    return li_sites.latest_document(store, criteria)


def _adsorption(
    summaries: list[dict[str, Any]], values: dict[str, float | None], why: dict[str, str]
) -> None:
    """Fill the adsorption and surface-incorporation descriptors from 5c summaries."""
    adsorbed = [
        float(s["binding_energy_bcc_ev"])
        for s in summaries
        if s.get("lowest_outcome") in (None, "adsorbed") and s.get("n_valid", 1) > 0
    ]
    values["adsorption_binding_energy_ev"] = max(adsorbed) if adsorbed else None
    if not summaries:
        why["adsorption_binding_energy_ev"] = "5c flow missing or failed"
    elif not adsorbed:
        why["adsorption_binding_energy_ev"] = "no adsorbed site: every Li incorporated"
    incorporated = [
        -float(s["strongest_incorporated"]["binding_energy_bcc_ev"])
        for s in summaries
        if s.get("strongest_incorporated")
    ]
    values["li_incorporation_energy_ev"] = min(incorporated) if incorporated else None
    if summaries and not incorporated:
        why["li_incorporation_energy_ev"] = "no Li was incorporated on the sites relaxed"


def _first_layer(
    store: JobStore, label: str, facet: list[int], options: Options, uuid: str | None
) -> dict[str, Any] | None:
    if uuid is not None:
        doc = get_output_dict(store, uuid)
        return doc if doc is not None and "incremental_binding_energy_ev" in doc else None
    return _latest(
        store,
        {
            "output.doc_type": "li_multilayer",
            "output.material": label,
            "output.miller": facet,
            "output.calculator_name": options.calculator,
        },
    )


def _no_first_layer(
    options: Options, skin: tuple[str, Any], facet: list[int], result: Result
) -> str:
    """Return why E_b(1) is missing; a flow that was built and is absent goes to ``missing``.

    The no-coincidence-cell reason is derived here again from the skin (the same check as
    :func:`build_flows`), so a collect in another process states it too.
    """
    label, material = skin
    lo = layers_options(options, material)
    no_cell = screen_wetting_neb.no_cell_reason(options, label, material, facet, "first layer", lo)
    if no_cell is not None:  # never built: not missing; E_b(1) is required, the skin is unranked
        return no_cell
    result.missing.append(f"{label} first layer")
    return "first-layer flow missing or failed"


def _dissolution(
    store: JobStore, element: str, options: Options, uuid: str | None
) -> dict[str, Any] | None:
    if uuid is not None:
        doc = get_output_dict(store, uuid)
        return doc if doc is not None and "dissolution_energy_ev" in doc else None
    return _latest(
        store,
        {
            "output.doc_type": "skin_dissolution",
            "output.element": element,
            "output.supercell": options.dissolution_supercell,
            "output.calculator_name": options.calculator,
        },
    )


def _pair(
    store: JobStore,
    label: str,
    material: Any,
    options: Options,
    values: dict[str, float | None],
    why: dict[str, str],
) -> None:
    """Fill the pair-interaction descriptor: the newest converged pair document."""
    facet = skin_facet(options, material)
    doc = _latest(
        store,
        {
            "output.doc_type": "li_pair",
            "output.material": label,
            "output.miller": facet,
            "output.calculator_name": options.calculator,
        },
    )
    if doc is None:
        why["pair_interaction_energy_ev"] = "pair flow missing or failed"
    elif not doc["converged"]:
        why["pair_interaction_energy_ev"] = "a pair relaxation did not converge"
    else:
        values["pair_interaction_energy_ev"] = float(doc["pair_interaction_energy_ev"])


def collect(
    store: JobStore, options: Options, *, outputs: Mapping[str, str] | None = None
) -> Result:
    """Return the stored descriptors of the skins, scored and ranked (never raises when partial).

    ``outputs``: flow label -> output uuid of a run just made (read exactly those); ``None``:
    the newest stored documents for these skins, facets and calculator.
    """
    options, result = screen_li.resolved_result(store, options, Result)
    docs: dict[str, dict[str, Any]] = {}
    for label, material in materials_of(options.skins):
        facet = skin_facet(options, material)
        result.facets[label] = facet
        result.lattices[label] = skin_lattice(options, material)[0]
        values: dict[str, float | None] = dict.fromkeys(DESCRIPTORS)
        why: dict[str, str] = {}
        sub = sites_options(options, material)
        picked = None
        if outputs is not None:
            picked = {k: v for k, v in outputs.items() if k.startswith(f"{label} adsorption")}
            picked = {
                li_sites.flow_label(label, facet) + k[len(f"{label} adsorption") :]: v
                for k, v in picked.items()
            }
        sites = li_sites.collect(store, sub, outputs=picked)
        _adsorption(sites.summaries, values, why)
        uuid = None if outputs is None else outputs.get(f"{label} first layer")
        layer = _first_layer(store, label, facet, options, uuid)
        if layer is None:
            why["first_layer_binding_energy_ev"] = _no_first_layer(
                options, (label, material), facet, result
            )
        else:
            values["first_layer_binding_energy_ev"] = float(
                layer["incremental_binding_energy_ev"][0]
            )
        weights = _elements(material)
        total, lacking = 0.0, []
        for element, fraction in weights.items():
            if element not in docs:
                uuid = None if outputs is None else outputs.get(f"{element} in Li")
                found = _dissolution(store, element, options, uuid)
                if found is not None:
                    docs[element] = found
            if element in docs:
                total += fraction * float(docs[element]["dissolution_energy_ev"])
            else:
                lacking.append(element)
        if lacking:
            why["skin_dissolution_energy_ev"] = f"missing for {', '.join(lacking)}"
            result.missing += [f"{e} in Li" for e in lacking]
        else:
            values["skin_dissolution_energy_ev"] = total
        result.missing += [f"{label} adsorption: {m}" for m in sites.missing]
        _pair(store, label, material, options, values, why)
        screen_wetting_neb.collect_skin(
            store,
            options,
            label,
            facet,
            values,
            why,
            result,
            outputs=outputs,
            material=material,
            layers_options=layers_options(options, material),
        )
        screen_li.add_li_descriptors(
            store, options, (label, material), sites.summaries, values, why, result, outputs
        )
        result.descriptors[label] = values
        if why:
            result.reasons[label] = why
    ranking = rank_skins(result.descriptors, reasons=result.reasons)
    result.ranking = screen_li.annotated(
        [r.as_dict() for r in ranking.skins], result.descriptors, result.reasons
    )
    result.dropped = dict(ranking.dropped)
    result.dissolution = list(docs.values())
    result.comparison = compare_with_overpotentials(result.ranking)
    return result


def table_rows(result: Result) -> list[dict[str, Any]]:
    """Return the screen table: one row per skin in rank order (every descriptor, score, rank)."""
    rows = []
    for r in result.ranking:
        row: dict[str, Any] = {
            "skin": r["skin"],
            "facet": "".join(str(i) for i in result.facets.get(r["skin"], [])),
            "lattice": result.lattices.get(r["skin"]),
        }
        row.update(r["descriptors"])
        row.update(
            {
                "score_ev": r["score"],
                "rank": r["rank"],
                "tied_with": ", ".join(r["tied_with"]),
                "unranked_reason": r["unranked_reason"],
                "rule_version": r["rule_version"],
            }
        )
        rows.append(row)
    return rows


def figures(result: Result, out_dir: str | Path, *, format: str = "png") -> dict[str, Path]:
    """Draw the descriptors per skin side by side (one panel per descriptor); ``{"screen": PNG}``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lithiophilic.analysis.figures import figure_path

    if not result.ranking:
        return {}
    skins = [r["skin"] for r in result.ranking]
    names = [r.name for r in RULE if r.name in DESCRIPTORS]
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3.4), sharey=False)
    for ax, name in zip(axes, names, strict=True):
        vals = [result.descriptors[s].get(name) for s in skins]
        xs = range(len(skins))
        shown = [(x, v) for x, v in zip(xs, vals, strict=True) if v is not None]
        ax.bar([x for x, _ in shown], [v for _, v in shown], color="C0", edgecolor="k")
        for x, v in zip(xs, vals, strict=True):
            if v is None:
                ax.text(x, 0.0, "n/a", ha="center", va="bottom", fontsize=7)
        ax.set_xticks(list(xs), skins, rotation=45, ha="right", fontsize=8)
        ax.set_xlim(-0.6, len(skins) - 0.4)
        ax.set_title(name.replace("_ev", " (eV)"), fontsize=8)
        ax.axhline(0.0, color="k", lw=0.5)
    fig.suptitle(f"skin screen, rank order left to right ({RULE_VERSION})", fontsize=9)
    fig.tight_layout()
    path = figure_path(Path(out_dir) / FIGURE_NAME, format)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return {"screen": path, **screen_li.figures(result, out_dir, format=format)}


def claims(result: Result) -> list[Any]:
    """Return no paper claims: the screen goes beyond the paper (the comparison is separate)."""
    return []
