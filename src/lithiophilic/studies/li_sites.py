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
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self

from monty.json import MontyDecoder
from pydantic import Field, field_validator, model_validator

from lithiophilic import defaults
from lithiophilic.analysis.binding import BINDING_DEFINITION, plot_site_binding
from lithiophilic.analysis.figures import figure_path
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
    material_label,
    materials_of,
)
from lithiophilic.workflows.binding import LiSiteBindingMaker

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
)
_SURFACE = surface.Options.model_fields


def _check_calculator_name(name: str | None) -> str | None:
    if name is None:
        return None
    try:
        CalculatorSpec(name)
    except ConfigurationError as exc:
        raise ValueError(str(exc).removeprefix("calculator: ")) from None
    return name


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
)


def li_site_rows(
    store: JobStore, *, materials: list[str] | None = None, calculator: str | None = None
) -> list[dict[str, Any]]:
    """Return one row per stored single-Li site result (the newest per site and calculator)."""
    identity = ("material", "miller", "site_label", "calculator_name", "calculator_model")
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
    # the clean slabs: the surface study's fields (one definition, see SLAB_FIELDS)
    n_layers: int = _SURFACE["n_layers"]
    min_thickness_a: float = _SURFACE["min_thickness_a"]
    vacuum_a: float = _SURFACE["vacuum_a"]
    n_fixed_layers: int = _SURFACE["n_fixed_layers"]
    fix: Literal["center", "bottom"] = _SURFACE["fix"]
    slab_fmax_ev_per_a: float = _SURFACE["slab_fmax_ev_per_a"]
    sqs_periods: int = _SURFACE["sqs_periods"]

    @classmethod
    def quick(cls, **overrides: Any) -> Self:
        """Return ``binding --quick`` for single Li (the surface study's quick slabs, Li fmax 0.1 eV/Å)."""
        slabs = surface.Options.quick()
        quick = {name: getattr(slabs, name) for name in SLAB_FIELDS}
        quick["li_fmax_ev_per_a"] = defaults.QUICK_SLAB_FMAX_EV_PER_A
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
        return _check_calculator_name(name)

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
    )
    base = replace(
        base,
        li_relax_maker=replace(base.li_relax_maker, fmax_ev_per_a=options.li_fmax_ev_per_a),
    )
    refine = CalculatorSpec(options.refine_calculator) if options.refine_calculator else None
    return base.with_calculator(spec).with_refine_calculator(
        refine, top_k=options.refine_top_k, refine_all=options.refine_all
    )


def flow_label(label: str, miller: Sequence[int]) -> str:
    """Return the key of one material's facet flow, e.g. ``"Cu 111"``."""
    return f"{label} {''.join(map(str, miller))}"


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
        for miller in options.millers:
            flows[flow_label(label, miller)] = maker.make(material, miller, name=label)
    ensure_available(CalculatorSpec(options.calculator))
    if options.refine_calculator:
        ensure_available(CalculatorSpec(options.refine_calculator))
    return flows


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
    store, flows, failed = build_and_run(
        options, store, build_flows=build_flows, data_dir=data_dir, on_job=on_job, flows=flows
    )
    result = collect(store, options, outputs={k: f.output.uuid for k, f in flows.items()})
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
    store: JobStore, label: str, miller: list[int], calculator: str, uuid: str | None
) -> dict[str, Any] | None:
    if uuid is not None:  # the flow just run: its own output, or nothing if it failed
        out = get_output_dict(store, uuid)
        return out if out is not None and "rows" in out else None
    return latest_document(
        store,
        {
            "output.doc_type": "li_binding",
            "output.material": label,
            "output.miller": miller,
            "output.calculator_name": calculator,
        },
    )


def collect(
    store: JobStore, options: Options, *, outputs: Mapping[str, str] | None = None
) -> Result:
    """Return the stored single-Li results of the options' materials, facets and calculator.

    Never raises for a half-finished study: each material and facet without a stored summary
    is named in ``Result.missing``.

    Parameters
    ----------
    store
        The job store.
    options
        The study's settings.
    outputs
        Flow label -> uuid of its output (what :func:`run` just ran): those exact outputs are
        read. ``None``: the newest summary per material, facet and calculator.
    """
    labels = [material_label(m) for m in options.materials]
    summaries: list[dict[str, Any]] = []
    prescreens: list[dict[str, Any]] = []
    missing: list[str] = []
    for label in labels:
        for miller in options.millers:
            key = flow_label(label, miller)
            uuid = outputs.get(key) if outputs is not None else None
            found = _summary(store, label, list(miller), options.calculator, uuid)
            if found is None:
                missing.append(f"{label} {facet_label(miller)}")
                continue
            summaries.append(found)
            if options.refine_calculator:
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
                    missing.append(f"{label} {facet_label(miller)} prescreen")
                else:
                    prescreens.append(pre)
    rows = [
        r
        for r in li_site_rows(store, materials=labels, calculator=options.calculator)
        if r["miller"] in options.millers and r["converged"] and not r["subsurface"]
    ]
    return Result(
        options=options.model_dump(mode="json"),
        summaries=summaries,
        prescreens=prescreens,
        site_rows=rows,
        missing=missing,
    )


def figures(result: Result, out_dir: str | Path, *, format: str = "png") -> dict[str, Path]:
    """Draw Fig. 5c (E_b of every valid site, vs bcc Li and vs the atom); return ``{"5c": PNG}``.

    Nothing is drawn (``{}``) when no site result is stored.

    ``format``: ``"png"``, ``"pdf"`` or ``"svg"`` (the figure files' suffix); the open
    matplotlib Figures come from the analysis builders (``*_figure``).
    """
    figure = figure_path(Path(out_dir) / FIGURE_NAME, format)
    if not result.site_rows:
        return {}
    png = plot_site_binding(result.site_rows, figure, reference="both")
    return {"5c": png}


def claims(result: Result, *, roles: Mapping[str, str] | None = None) -> list[Claim]:
    """Return the paper's Fig. 5c claims set against ours (:func:`analysis.claims.claims_5c`).

    ``roles``: role -> material label (default :data:`lithiophilic.defaults.PAPER_ROLES`).
    """
    from lithiophilic.analysis.claims import claims_5c

    return claims_5c({"summaries": result.summaries}, roles=roles)


def table_rows(result: Result) -> list[dict[str, Any]]:
    """Return the Fig. 5c table: one row per material and facet.

    Keys: ``material``, ``facet``, ``lowest_site_label`` (strongest site), ``lowest_final_site_kind``
    (where its Li ended up), ``binding_energy_bcc_ev``, ``binding_energy_atom_ev`` (eV,
    larger = stronger), ``spread_ev`` (max − min E_b over valid sites), ``n_valid``, ``n_sites``.
    """
    keys = (
        "material",
        "lowest_site_label",
        "lowest_final_site_kind",
        "binding_energy_bcc_ev",
        "binding_energy_atom_ev",
        "spread_ev",
        "n_valid",
        "n_sites",
    )
    return [
        {"facet": facet_label(s["miller"]), **{k: s[k] for k in keys}} for s in result.summaries
    ]
