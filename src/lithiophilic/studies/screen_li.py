"""Li incorporation and Li–skin alloying descriptors of the skin screen (issue 20).

Hooks of :mod:`lithiophilic.studies.screen` (which calls :func:`li_flows`,
:func:`add_li_descriptors`, :func:`annotated`, :func:`resolved_result`, :func:`check_li_compounds` and the
facet stage :func:`pending_facets` / :func:`resolve_facets`). The descriptors are reported
beside the score of ``screen-rule-1`` and do not enter it (the rule was fixed before them):

``li_substitution_surface_energy_ev`` / ``li_substitution_subsurface_energy_ev``
    E_sub = E(slab, one X of plane 1 / 2 → Li) − E(slab) − ε_Li(bcc) + ε_X, best over the
    skin's elements, eV per Li; negative = Li prefers to replace a skin atom there.
``li_interstitial_surface_energy_ev``
    E_int = E(slab + Li) − E(slab) − ε_Li(bcc) of the strongest single-Li (5c) site classified
    *incorporated* in the outermost plane (sunk into it, over-coordinated), eV per Li.
``li_interstitial_subsurface_energy_ev``
    the same below the top plane: the best of the 5c sites that went subsurface and an
    explicit start between planes 1 and 2 (the most open point), eV per Li.
``li_substitution_bulk_energy_ev``
    dilute Li replacing one skin atom of a bulk supercell ≥ 8 Å wide, vs bcc Li and the
    removed atom's bulk, eV per Li; negative = Li dissolves in the skin's bulk.
``li_alloy_formation_energy_per_li_ev``
    the most negative ΔE_f per Li atom of the Li–X compounds on the convex hull
    (:mod:`lithiophilic.analysis.hull`), eV per Li; negative = Li alloys with the skin.

The existing ``li_incorporation_energy_ev`` (the strongest incorporated 5c site) is kept as it
was.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lithiophilic.analysis.hull import HULL_DEFINITION, li_alloy_hull
from lithiophilic.analysis.incorporation import INCORPORATION_DEFINITION, best_incorporated_sites
from lithiophilic.db import get_output_dict
from lithiophilic.errors import AnalysisError, ConfigurationError
from lithiophilic.potentials import CalculatorSpec
from lithiophilic.potentials.registry import check_elements
from lithiophilic.structures.li_compounds import (
    LI_COMPOUNDS,
    NO_KNOWN_COMPOUND,
    NOT_CATALOGUED,
    li_compounds_of,
)
from lithiophilic.studies import li_sites, screen_facet, screen_skin
from lithiophilic.studies.base import materials_of
from lithiophilic.workflows.li_alloys import LiCompoundMaker, compound_structure
from lithiophilic.workflows.screen_incorporation import (
    LiBulkIncorporationMaker,
    LiSurfaceIncorporationMaker,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from jobflow import Flow, JobStore
    from pymatgen.core import Structure

__all__ = [
    "LI_DEFINITION",
    "LI_DESCRIPTORS",
    "add_li_descriptors",
    "annotated",
    "check_li_compounds",
    "collect_li_descriptors",
    "compound_label",
    "facet_choices",
    "facet_stage_flows",
    "figures",
    "li_flows",
    "pending_facets",
    "reason_lines",
    "resolve_facets",
    "resolved_result",
]

logger = logging.getLogger(__name__)

#: Descriptors of this module (reported only under screen-rule-1).
LI_DESCRIPTORS: tuple[str, ...] = (
    "li_substitution_surface_energy_ev",
    "li_substitution_subsurface_energy_ev",
    "li_interstitial_surface_energy_ev",
    "li_interstitial_subsurface_energy_ev",
    "li_substitution_bulk_energy_ev",
    "li_alloy_formation_energy_per_li_ev",
)

LI_DEFINITION = (
    "Reported only (not in the score of screen-rule-1): " + INCORPORATION_DEFINITION + " "
    "li_*_surface = plane 1 (outermost), li_*_subsurface = plane 2 / between planes 1 and 2, "
    "li_substitution_bulk = dilute Li in the skin's bulk. " + HULL_DEFINITION
)


def _load_compound(path: str) -> Structure:
    from pymatgen.core import Structure

    try:
        struct = Structure.from_file(path)
    except (OSError, ValueError) as exc:
        msg = f"li_compounds: cannot read {path!r} as a structure file ({exc})"
        raise ConfigurationError(msg) from None
    name = f"{struct.composition.reduced_formula}:{Path(path).stem}"
    struct.properties = {"source": f"user file {Path(path).name}", "name": name}
    return struct


def check_li_compounds(options: Any) -> None:
    """Check the user's Li compound files: readable, Li + skin elements, covered by the calculator.

    Raises
    ------
    ConfigurationError
        Naming ``li_compounds`` and the file.
    """
    skin_elements: set[str] = set()
    for _, material in materials_of(options.skins):
        atoms, _ = screen_skin.skin_bulk(material)
        skin_elements |= set(atoms.get_chemical_symbols())
    for path in options.li_compounds:
        if not Path(path).is_file():
            msg = f"li_compounds: {path!r} is not a file (give a CIF or POSCAR)"
            raise ConfigurationError(msg)
        struct, info = compound_structure(_load_compound(path))
        others = {el.symbol for el in struct.composition.elements} - {"Li"}
        if not others <= skin_elements:
            msg = (
                f"li_compounds: {path!r} ({info['name']}) has {', '.join(sorted(others))}; "
                f"its elements other than Li must be skin elements ({', '.join(sorted(skin_elements))})"
            )
            raise ConfigurationError(msg)
        check_elements(CalculatorSpec(options.calculator), sorted(others | {"Li"}))


def compound_label(compound: str | Structure) -> str:
    """Return the flow label of a compound: ``"<name> (Li compound)"``."""
    if isinstance(compound, str):
        return f"{compound} (Li compound)"
    name = compound.properties.get("name", compound.composition.reduced_formula)
    return f"{name} (Li compound)"


def _compounds(options: Any, elements: set[str]) -> list[str | Structure]:
    """Return the catalogued and user compounds whose non-Li elements are in ``elements``."""
    found: list[str | Structure] = list(li_compounds_of(elements))
    for path in options.li_compounds:
        struct = _load_compound(path)
        if {el.symbol for el in struct.composition.elements} - {"Li"} <= elements:
            found.append(struct)
    return found


def li_flows(options: Any, label: str, material: Any, facet: list[int]) -> dict[str, Flow]:
    """Return the Li incorporation flows of one skin and the Li compound flows of its elements.

    Keys: ``"<skin> Li incorporation"``, ``"<skin> Li in bulk"``, ``"<compound> (Li compound)"``
    (one flow per compound, shared by skins with the same element).
    """
    sites = screen_skin.sites_options(options, material)
    site_maker = li_sites.site_maker(sites)
    choice = options.facet_choice.get(label) or {}
    atoms, kind = screen_skin.skin_bulk(material)
    if kind == "complex" and choice.get("termination") is not None:
        from dataclasses import replace

        site_maker = replace(site_maker, termination=int(choice["termination"]))
    flows: dict[str, Flow] = {
        f"{label} Li incorporation": LiSurfaceIncorporationMaker(site_maker=site_maker).make(
            material, facet, name=label
        )
    }
    bulk_relax = site_maker.surface_maker.bulk_relax_maker
    flows[f"{label} Li in bulk"] = LiBulkIncorporationMaker(relax_maker=bulk_relax).make(
        material, name=label, surface_maker=site_maker.surface_maker
    )
    maker = LiCompoundMaker(relax_maker=bulk_relax)
    for compound in _compounds(options, set(atoms.get_chemical_symbols())):
        key = compound_label(compound)
        if key not in flows:
            flows[key] = maker.make(compound)
    return flows


def _doc(store: JobStore, outputs: Mapping[str, str] | None, key: str, crit: dict) -> dict | None:
    """Return the output of flow ``key`` just run, or the newest stored document matching ``crit``."""
    if outputs is not None and key in outputs:
        return get_output_dict(store, outputs[key])
    return li_sites.latest_document(store, crit)


def _incorporation(
    store: JobStore,
    options: Any,
    label: str,
    facet: list[int],
    summaries: list[dict[str, Any]],
    outputs: Mapping[str, str] | None,
) -> tuple[dict[str, float | None], dict[str, str], dict[str, Any]]:
    """Return the incorporation descriptors of one skin, reasons and the documents behind them."""
    values: dict[str, float | None] = dict.fromkeys(LI_DESCRIPTORS[:5])
    why: dict[str, str] = {}
    calc = {"output.calculator_name": options.calculator}
    surf = _doc(
        store,
        outputs,
        f"{label} Li incorporation",
        {
            "output.doc_type": "li_surface_incorporation",
            "output.material": label,
            "output.miller": facet,
            **calc,
        },
    )
    bulk = _doc(
        store,
        outputs,
        f"{label} Li in bulk",
        {"output.doc_type": "li_bulk_incorporation", "output.material": label, **calc},
    )
    from_5c = best_incorporated_sites(summaries)
    surface_int = from_5c["surface"]
    values["li_interstitial_surface_energy_ev"] = (
        None if surface_int is None else surface_int["interstitial_energy_ev"]
    )
    if not summaries:
        why["li_interstitial_surface_energy_ev"] = "5c flow missing or failed"
    elif surface_int is None:
        why["li_interstitial_surface_energy_ev"] = (
            "no single-Li (5c) site was incorporated into the outermost plane"
        )
    sub = [] if from_5c["subsurface"] is None else [from_5c["subsurface"]["interstitial_energy_ev"]]
    if surf is None:
        for name in ("li_substitution_surface_energy_ev", "li_substitution_subsurface_energy_ev"):
            why[name] = "surface incorporation flow missing or failed"
    else:
        values["li_substitution_surface_energy_ev"] = surf["substitution_surface_energy_ev"]
        values["li_substitution_subsurface_energy_ev"] = surf["substitution_subsurface_energy_ev"]
        for name, key in (
            ("li_substitution_surface_energy_ev", "substitution_surface_energy_ev"),
            ("li_substitution_subsurface_energy_ev", "substitution_subsurface_energy_ev"),
        ):
            if surf[key] is None:
                why[name] = "the Li left its plane or the relaxation did not converge"
        if surf["interstitial_subsurface_energy_ev"] is not None:
            sub.append(surf["interstitial_subsurface_energy_ev"])
    values["li_interstitial_subsurface_energy_ev"] = min(sub) if sub else None
    if not sub:
        why["li_interstitial_subsurface_energy_ev"] = (
            "the explicit start left the subsurface (or is missing) and no 5c Li went subsurface"
        )
    values["li_substitution_bulk_energy_ev"] = (
        None if bulk is None else bulk.get("substitution_bulk_energy_ev")
    )
    if values["li_substitution_bulk_energy_ev"] is None:
        why["li_substitution_bulk_energy_ev"] = (
            "bulk flow missing or failed" if bulk is None else "no converged relaxation"
        )
    docs = {"surface": surf, "bulk": bulk, "from_5c": from_5c}
    return values, why, docs


def _alloying(
    store: JobStore, options: Any, material: Any, outputs: Mapping[str, str] | None
) -> tuple[float | None, str | None, dict[str, Any]]:
    """Return the alloying descriptor of one skin, why it is missing, and its hull."""
    atoms, _ = screen_skin.skin_bulk(material)
    elements = set(atoms.get_chemical_symbols())
    compounds = _compounds(options, elements)
    if not compounds:
        notes = {**NO_KNOWN_COMPOUND, **NOT_CATALOGUED}
        known = "; ".join(notes[e] for e in sorted(elements) if e in notes)
        why = (
            f"no Li compound of {', '.join(sorted(elements))} in the catalogue "
            f"({', '.join(LI_COMPOUNDS)}) or given with --li-compound"
            + (f" ({known})" if known else "")
        )
        return None, why, {}
    docs, lacking = [], []
    for compound in compounds:
        key = compound_label(compound)
        name = key.removesuffix(" (Li compound)")
        doc = _doc(
            store,
            outputs,
            key,
            {
                "output.doc_type": "li_compound",
                "output.name": name,
                "output.calculator_name": options.calculator,
            },
        )
        if doc is None or not doc.get("converged"):
            lacking.append(name)
        else:
            docs.append(doc)
    if not docs:
        return None, f"Li compound flows missing or unconverged: {', '.join(lacking)}", {}
    refs: dict[str, float] = {}
    for d in docs:
        refs.update(d["element_energy_per_atom_ev"])
    rows = [
        {"name": d["name"], "composition": d["composition"], "energy_ev": d["energy_ev"]}
        for d in docs
    ]
    try:
        hull = li_alloy_hull(refs, rows)
    except AnalysisError as exc:
        return None, str(exc), {}
    for row in hull["rows"]:
        d = next(x for x in docs if x["name"] == row["name"])
        row.update({"prototype": d["prototype"], "reference": d["reference"]})
        row["approximant"] = d.get("approximant", False)
    hull["missing"] = lacking
    value = hull["li_alloy_formation_energy_per_li_ev"]
    why = None if value is not None else "no Li compound with negative formation energy on the hull"
    return value, why, hull


def collect_li_descriptors(
    store: JobStore,
    options: Any,
    label: str,
    material: Any,
    summaries: list[dict[str, Any]],
    outputs: Mapping[str, str] | None,
) -> tuple[dict[str, float | None], dict[str, str], dict[str, Any]]:
    """Return this module's descriptors of one skin, why any is missing, and the details.

    Never raises for a half-finished run: a missing document is a reason.
    """
    facet = screen_skin.skin_facet(options, material)
    values, why, docs = _incorporation(store, options, label, facet, summaries, outputs)
    value, reason, hull = _alloying(store, options, material, outputs)
    values["li_alloy_formation_energy_per_li_ev"] = value
    if reason is not None:
        why["li_alloy_formation_energy_per_li_ev"] = reason
    details = {
        "surface": _slim(docs["surface"]),
        "bulk": _slim(docs["bulk"]),
        "interstitial_from_5c": docs["from_5c"],
        "hull": hull,
    }
    return values, why, details


def add_li_descriptors(
    store: JobStore,
    options: Any,
    skin: tuple[str, Any],
    summaries: list[dict[str, Any]],
    values: dict[str, float | None],
    why: dict[str, str],
    result: Any,
    outputs: Mapping[str, str] | None,
) -> None:
    """Add this module's descriptors of one skin to ``values``/``why`` and its details to ``result``."""
    label, material = skin
    extra, extra_why, details = collect_li_descriptors(
        store, options, label, material, summaries, outputs
    )
    values.update(extra)
    why.update(extra_why)
    result.li_details[label] = details


def resolved_result(store: JobStore, options: Any, result_cls: type) -> tuple[Any, Any]:
    """Return the options with their facets chosen and an empty Result carrying the facet choice."""
    options = resolve_facets(store, options)
    result = result_cls(options=options.model_dump(mode="json"))
    result.definition = f"{result.definition} {LI_DEFINITION}"
    result.facet_choice = facet_choices(options)
    return options, result


def _slim(doc: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return a stored document without its structures (JSON-ready)."""
    if doc is None:
        return None
    return {k: v for k, v in doc.items() if k not in ("relaxed_structure", "structure")}


def annotated(
    ranking: list[dict[str, Any]],
    descriptors: Mapping[str, Mapping],
    reasons: Mapping[str, Mapping[str, str]] | None = None,
) -> list[dict[str, Any]]:
    """Return ``ranking`` with this module's descriptors in each skin's ``descriptors`` (reported only).

    ``reasons`` (skin -> descriptor -> why it is missing) go into each entry's ``reasons``, so
    the JSON states why every missing descriptor is missing, not only the score's.
    """
    for entry in ranking:
        values = descriptors.get(entry["skin"], {})
        for name in LI_DESCRIPTORS:
            entry["descriptors"].setdefault(name, values.get(name))
        if reasons is not None:
            entry["reasons"] = dict(reasons.get(entry["skin"], {}))
    return ranking


def reason_lines(result: Any) -> list[str]:
    """Return one line per missing Li incorporation/alloying descriptor of a skin (CLI report)."""
    return [
        f"{skin}: {name} missing ({why[name]})"
        for skin, why in result.reasons.items()
        for name in LI_DESCRIPTORS
        if name in why
    ]


def _candidates(options: Any, material: Any) -> tuple[str, list[list[int]], str]:
    """Return (lattice, candidate facets, note) of one skin."""
    lattice, kind = screen_skin.skin_lattice(options, material)
    candidates, note = screen_facet.candidate_facets(lattice, kind, quick=options.preset == "quick")
    return lattice, candidates, note


def pending_facets(options: Any) -> list[str]:
    """Return the skins whose facet is still to be chosen by γ.

    Those with no ``facet`` given, no choice yet and more than one candidate facet (a single
    candidate, e.g. (111) of an SQS skin in ``--quick``, needs no γ).
    """
    if options.facet is not None:
        return []
    return [
        label
        for label, material in materials_of(options.skins)
        if label not in options.facet_choice and len(_candidates(options, material)[1]) > 1
    ]


def facet_stage_flows(options: Any, label: str, material: Any) -> Flow:
    """Return the surface flow over the candidate facets of one skin (the facet stage)."""
    _, candidates, _ = _candidates(options, material)
    sites = screen_skin.sites_options(options, material)
    logger.info(
        "%s: facet stage only (gamma of %d candidate facets); the descriptor flows are built "
        "once it has run (screen.run does both; a submitted screen needs --facet)",
        label,
        len(candidates),
    )
    return screen_facet.facet_flow(sites, label, candidates)


def resolve_facets(store: JobStore, options: Any) -> Any:
    """Return ``options`` with the lowest-γ facet of every pending skin chosen from the store."""
    if not pending_facets(options):
        return options
    choices = dict(options.facet_choice)
    pending = pending_facets(options)
    for label, material in materials_of(options.skins):
        if label not in pending:
            continue
        lattice, candidates, note = _candidates(options, material)
        sites = screen_skin.sites_options(options, material)
        choices[label] = screen_facet.choose_facet(store, sites, label, lattice, candidates, note)
        logger.info(
            "%s: facet %s (%s)", label, choices[label]["facet_name"], choices[label]["reason"]
        )
    return options.updated(facet_choice=choices)


def facet_choices(options: Any) -> dict[str, dict[str, Any]]:
    """Return, per skin, which facet is used and why (chosen by γ, given, or not chosen yet)."""
    out: dict[str, dict[str, Any]] = {}
    pending = pending_facets(options)
    for label, material in materials_of(options.skins):
        lattice, _ = screen_skin.skin_lattice(options, material)
        facet = screen_skin.skin_facet(options, material)
        if options.facet is None and label in options.facet_choice:
            out[label] = dict(options.facet_choice[label])
            continue
        if options.facet is None and label not in pending:
            note = _candidates(options, material)[2]
            reason, chosen_by = f"the only candidate ({note})", "only candidate"
        elif options.facet is None:
            reason = "facet stage not run yet: the close-packed facet is shown"
            chosen_by = "pending"
        elif list(options.facet) == [1, 1, 1]:
            reason = (
                f"given: --facet 111 means the close-packed facet of the {lattice} lattice, "
                f"{screen_facet.facet_name(lattice, facet)}"
            )
            chosen_by = "given"
        else:
            reason, chosen_by = "given: used as given on every skin", "given"
        out[label] = {
            "facet": facet,
            "facet_name": screen_facet.facet_name(lattice, facet),
            "chosen_by": chosen_by,
            "reason": reason,
        }
    return out


#: File name of the Li incorporation / alloying figure written by :func:`figures`.
FIGURE_NAME = "screen_li_descriptors.png"


def figures(result: Any, out_dir: str | Path, *, format: str = "png") -> dict[str, Path]:
    """Draw this module's descriptors per skin side by side; ``{"screen_li": PNG}``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lithiophilic.analysis.figures import figure_path

    skins = [r["skin"] for r in result.ranking]
    if not skins:
        return {}
    fig, axes = plt.subplots(2, 3, figsize=(10.0, 6.4))
    for ax, name in zip(axes.flat, LI_DESCRIPTORS, strict=True):
        vals = [result.descriptors.get(s, {}).get(name) for s in skins]
        xs = list(range(len(skins)))
        shown = [(x, v) for x, v in zip(xs, vals, strict=True) if v is not None]
        ax.bar([x for x, _ in shown], [v for _, v in shown], color="C2", edgecolor="k")
        for x, v in zip(xs, vals, strict=True):
            if v is None:
                ax.text(x, 0.0, "n/a", ha="center", va="bottom", fontsize=7)
        ax.set_xticks(xs, skins, rotation=45, ha="right", fontsize=8)
        ax.set_xlim(-0.6, len(skins) - 0.4)
        ax.set_title(name.removeprefix("li_").replace("_ev", " (eV)"), fontsize=8)
        ax.axhline(0.0, color="k", lw=0.5)
    fig.suptitle(
        "Li incorporation and Li-skin alloying vs bcc Li (negative = Li enters / alloys); "
        "reported only, not in the score",
        fontsize=9,
    )
    fig.tight_layout()
    path = figure_path(Path(out_dir) / FIGURE_NAME, format)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return {"screen_li": path}
