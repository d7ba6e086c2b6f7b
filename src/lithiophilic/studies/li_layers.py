"""Li layers n = 1…N on each material's (111) slab: binding per layer (Fig. 5d), films (Fig. 5e).

The study relaxes ideal Li films on the single-Li study's clean (111) slab with the same Li
references, and stores one :class:`~lithiophilic.workflows.binding.LiMultilayerDoc` per
material: incremental and average E_b per layer vs bcc Li (eV/Li), the lattice mismatch, the
Li shift from the ideal sites and the relaxed films. Conventions:
:data:`~lithiophilic.analysis.binding.BINDING_DEFINITION`.

A pseudomorphic film needs an fcc substrate: on any other (γ-brass) the study builds the
commensurate bcc Li(110) film instead and says so at INFO level.

Examples
--------
>>> from lithiophilic.studies import li_layers, li_sites
>>> options = li_layers.Options.quick(sites=li_sites.Options.quick(materials=["Cu"]))
>>> options.layers, options.complex_li_max_strain
(2, 0.08)
>>> sorted(li_layers.build_flows(options))
['Cu layers']
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Self

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema, field_validator
from pymatgen.core import Structure

from lithiophilic import defaults
from lithiophilic.analysis.binding import (
    BINDING_DEFINITION,
    plot_layer_binding,
    plot_multilayer_structures,
)
from lithiophilic.analysis.figures import figure_path
from lithiophilic.db import get_output_dict
from lithiophilic.errors import ConfigurationError
from lithiophilic.potentials import CalculatorSpec, ensure_available
from lithiophilic.structures.li_layers import DEFAULT_MAX_STRAIN, MAX_LI_LAYERS
from lithiophilic.studies import li_sites
from lithiophilic.studies.base import (
    StudyOptions,
    StudyResult,
    build_and_run,
    keep_relax_trajectories,
    material_label,
    materials_of,
    with_native_makers,
)
from lithiophilic.workflows.binding import LiMultilayerMaker, has_fcc_111

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from jobflow import Flow, JobStore

    from lithiophilic.analysis.claims import Claim
    from lithiophilic.studies.base import JobEvent

__all__ = [
    "FACET",
    "FIGURE_NAMES",
    "Options",
    "Result",
    "build_flows",
    "claims",
    "collect",
    "figures",
    "flow_label",
    "layer_maker",
    "run",
    "table_rows",
]

logger = logging.getLogger(__name__)

#: Files written by :func:`figures` (in ``out_dir``), per panel.
FIGURE_NAMES: dict[str, str] = {"5d": "fig5d_li_layers.png", "5e": "fig5e_li_layers.png"}
#: The facet the Li films grow on.
FACET: tuple[int, int, int] = (1, 1, 1)


def _check_strain(value: float | None) -> float | None:
    if value is not None and not (math.isfinite(value) and 0 < value < 0.5):
        msg = f"{value!r} is outside the allowed range 0–0.5 (exclusive)"
        raise ValueError(msg)
    return value


class Options(StudyOptions):
    """Every setting of the Li-layers study (Fig. 5d, 5e).

    Materials, calculator, Li force threshold and clean slabs are those of ``sites`` (the
    single-Li study's options; its facets, site cap and refinement are not used here), so
    both studies share one slab and one set of Li references. The default is the production
    preset (5 layers); :meth:`quick` is the quick campaign's (2 layers, 8 % strain on γ-brass).
    """

    study: ClassVar[str] = "li_layers"

    sites: li_sites.Options = Field(
        default_factory=li_sites.Options,
        description="Materials, calculator, li_fmax_ev_per_a and clean-slab settings "
        "(shared with the single-Li study).",
    )
    layers: int = Field(5, description=f"N: Li layers n = 1…N are relaxed (1–{MAX_LI_LAYERS}).")
    construction: Literal["bcc110", "pseudomorphic"] = Field(
        "bcc110",
        description="'bcc110': commensurate bcc Li(110) layers; 'pseudomorphic': one Li per "
        "hollow, fcc substrates only (others fall back to bcc110).",
    )
    li_max_strain: float = Field(
        DEFAULT_MAX_STRAIN,
        description="bcc110: largest principal strain of the Li(110) layer (fraction, 0–0.5 "
        "exclusive); the smallest substrate supercell within it is used.",
    )
    complex_li_max_strain: float | None = Field(
        None,
        description="li_max_strain on substrates with a multi-atom primitive cell (γ-brass), "
        "whose slab cell is already large; None: li_max_strain.",
    )
    li_growth: Literal["sequential", "independent"] = Field(
        "sequential",
        description="'sequential': layer n added on the relaxed n−1 film; 'independent': each "
        "n relaxed from ideal layers on the clean slab.",
    )

    @classmethod
    def quick(cls, **overrides: Any) -> Self:
        """Return the quick settings: quick slabs, 2 layers, 8 % Li strain on γ-brass only."""
        quick: dict[str, Any] = {
            "sites": li_sites.Options.quick(),
            "layers": 2,
            "complex_li_max_strain": defaults.QUICK_LI_MAX_STRAIN,
        }
        return cls(**{**quick, **overrides})

    @field_validator("layers", mode="after")
    @classmethod
    def _check_layers(cls, value: int) -> int:
        if not 1 <= value <= MAX_LI_LAYERS:
            msg = f"{value} is outside the allowed range 1–{MAX_LI_LAYERS}"
            raise ValueError(msg)
        return value

    @field_validator("li_max_strain", "complex_li_max_strain", mode="after")
    @classmethod
    def _check_strains(cls, value: float | None) -> float | None:
        return _check_strain(value)


def _to_structure(value: Any) -> Structure:
    return value if isinstance(value, Structure) else Structure.from_dict(value)


#: A pymatgen ``Structure`` in a result (saved as its ``as_dict``).
StoredStructure = Annotated[
    Structure,
    BeforeValidator(_to_structure),
    PlainSerializer(lambda s: s.as_dict()),
    WithJsonSchema({"type": "object"}),
]


class Result(StudyResult):
    """Stored Li-layer series for the options asked (Fig. 5d, 5e).

    ``missing`` names each ``material layers`` series without a stored document.
    """

    study: str = Field("li_layers", description="Study name.")
    definition: str = Field(BINDING_DEFINITION, description="Conventions of E_b per layer.")
    multilayers: list[dict[str, Any]] = Field(
        default_factory=list,
        description="One LiMultilayerDoc per material without its relaxed structures: "
        "incremental/average_binding_energy_ev (eV/Li, n = 1…N), lattice_mismatch, "
        "distortion (Å), converged, construction, growth, li_layer_strain, ...",
    )
    final_structures: dict[str, StoredStructure] = Field(
        default_factory=dict,
        description="Material -> relaxed slab with all N Li layers (Fig. 5e).",
    )


def flow_label(label: str) -> str:
    """Return the key of one material's layer flow, e.g. ``"Cu layers"``."""
    return f"{label} layers"


def layer_maker(options: Options) -> LiMultilayerMaker:
    """Return the Li-layer Maker of ``options`` (the single-Li Maker supplies slab and references).

    Raises
    ------
    ConfigurationError
        For invalid slab settings.
    """
    spec = CalculatorSpec(options.sites.calculator)
    maker = LiMultilayerMaker(
        site_maker=li_sites.site_maker(options.sites),
        max_layers=options.layers,
        construction=options.construction,
        max_strain=options.li_max_strain,
        complex_max_strain=options.complex_li_max_strain,
        growth=options.li_growth,
    )
    maker = replace(
        maker,
        li_relax_maker=replace(
            maker.li_relax_maker,
            fmax_ev_per_a=options.sites.li_fmax_ev_per_a,
            calculator=spec,
        ),
    )
    # VASP: atomate2 jobs under custodian (site_maker's slots are VASP already)
    return with_native_makers(maker, spec)


def build_flows(options: Options) -> dict[str, Flow]:
    """Return one Li-layer flow per material on its (111) slab, keyed by :func:`flow_label`.

    A pseudomorphic film is asked for only on fcc substrates (:func:`~lithiophilic.workflows.
    binding.has_fcc_111`); the others get the bcc110 construction (logged at INFO).

    Raises
    ------
    ConfigurationError
        For an unknown material or unreadable structure file, two materials with the same
        label, elements the calculator does not cover (Li included), or a calculator whose
        package is not installed.
    """
    maker = layer_maker(options)
    flows: dict[str, Flow] = {}
    for label, material in materials_of(options.sites.materials):
        key = flow_label(label)
        if key in flows:
            msg = f"materials: two materials have the label {label!r}; give each one once"
            raise ConfigurationError(msg)
        mk = maker
        if options.construction == "pseudomorphic" and not has_fcc_111(
            material, surface_maker=maker.site_maker.surface_maker, name=label
        ):
            logger.info("%s: not fcc, Li layers built as commensurate bcc Li(110)", label)
            mk = replace(maker, construction="bcc110")
        flows[key] = mk.make(material, list(FACET), name=label)
    ensure_available(CalculatorSpec(options.sites.calculator))
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
        The layer series of the flows just run; ``failed`` names the flows that failed.
    """
    store, outputs, failed = build_and_run(
        options, store, build_flows=build_flows, data_dir=data_dir, on_job=on_job, flows=flows
    )
    result = collect(store, options, outputs=outputs)
    result.failed.update(failed)
    return result


def _latest_series(store: JobStore, label: str, options: Options) -> dict[str, Any] | None:
    """Newest stored series of ``label`` with these options' facet, layers, construction, growth."""
    accepted = (
        ["pseudomorphic", "bcc110"] if options.construction == "pseudomorphic" else ["bcc110"]
    )
    found: dict[str, dict[str, Any]] = {}
    criteria = {
        "output.doc_type": "li_multilayer",
        "output.material": label,
        "output.calculator_name": options.sites.calculator,
    }
    for doc in store.query(criteria=criteria, sort={"completed_at": -1}):
        out = doc["output"]
        construction = out.get("construction")
        if (
            construction in found
            or construction not in accepted
            or list(out.get("miller", [])) != list(FACET)
            or out.get("growth", "independent") != options.li_growth
            or len(out.get("n_layers", [])) != options.layers + 1
        ):
            continue
        found[construction] = out
    for construction in accepted:  # the asked construction first, its fallback second
        if construction in found:
            return li_sites.plain_document(found[construction])
    return None


def collect(
    store: JobStore, options: Options, *, outputs: Mapping[str, str] | None = None
) -> Result:
    """Return the stored Li-layer series of the options' materials and calculator.

    Never raises for a half-finished study: each material without a stored series is named in
    ``Result.missing``.

    Parameters
    ----------
    store
        The job store.
    options
        The study's settings.
    outputs
        Flow label -> uuid of its output (what :func:`run` just ran): those exact outputs are
        read. ``None``: the newest series per material with these layers, construction (or
        its bcc110 fallback) and growth.
    """
    multilayers: list[dict[str, Any]] = []
    final: dict[str, Structure] = {}
    missing: list[str] = []
    for label in (material_label(m) for m in options.sites.materials):
        key = flow_label(label)
        doc: dict[str, Any] | None
        if outputs is not None and key in outputs:
            doc = get_output_dict(store, outputs[key])
            doc = doc if doc is not None and "energies_ev" in doc else None
        else:
            doc = _latest_series(store, label, options)
        if doc is None:
            missing.append(key)
            continue
        structures = doc.pop("relaxed_structures", None) or []
        multilayers.append(doc)
        if structures:
            last = structures[-1]
            final[label] = last if isinstance(last, Structure) else Structure.from_dict(last)
    return Result(
        options=options.model_dump(mode="json"),
        multilayers=multilayers,
        final_structures=final,
        missing=missing,
    )


def figures(result: Result, out_dir: str | Path, *, format: str = "png") -> dict[str, Path]:
    """Draw Fig. 5d (E_b per layer) and Fig. 5e (the relaxed films); return ``{"5d": PNG, "5e": PNG}``.

    Nothing is drawn (``{}``) when no series is stored.

    ``format``: ``"png"``, ``"pdf"`` or ``"svg"`` (the figure files' suffix); the open
    matplotlib Figures come from the analysis builders (``*_figure``).
    """
    from pymatgen.io.ase import AseAtomsAdaptor

    names = {k: figure_path(Path(out_dir) / v, format) for k, v in FIGURE_NAMES.items()}
    data = {
        f"{m['material']}(111)": {
            "incremental_binding_energy_ev": m["incremental_binding_energy_ev"],
            "average_binding_energy_ev": m["average_binding_energy_ev"],
        }
        for m in result.multilayers
    }
    if not data:
        return {}
    paths = {"5d": plot_layer_binding(data, names["5d"])}
    structures = {
        label: AseAtomsAdaptor.get_atoms(struct)
        for label, struct in result.final_structures.items()
    }
    if structures:
        paths["5e"] = plot_multilayer_structures(structures, names["5e"])
    return paths


def claims(result: Result, *, roles: Mapping[str, str] | None = None) -> list[Claim]:
    """Return the paper's Fig. 5d and 5e claims set against ours.

    ``roles``: role -> material label (default :data:`lithiophilic.defaults.PAPER_ROLES`).
    """
    from lithiophilic.analysis.claims import claims_5d, claims_5e

    payload = {"multilayers": result.multilayers}
    return [*claims_5d(payload, roles=roles), *claims_5e(payload, roles=roles)]


def table_rows(result: Result) -> list[dict[str, Any]]:
    """Return the Fig. 5d table: one row per material and layer count n ≥ 1.

    Keys: ``material``, ``lattice_mismatch`` (fraction), ``n_layers`` (n),
    ``incremental_binding_energy_ev`` and ``average_binding_energy_ev`` (eV/Li vs bcc Li),
    ``li_rms_shift_a`` (RMS shift of the relaxed Li from the ideal sites, Å, a rigid slide
    included), ``li_internal_strain_rms`` (RMS Li–Li nearest-neighbour bond strain of the
    relaxed film vs the strained ideal film: the 5e distortion measure; None for older
    documents), ``li_nn_distance_a``/``li_nn_distance_std_a`` (relaxed mean and spread of the
    Li–Li nearest-neighbour distances, Å), ``converged``,
    ``li_per_layer``, ``growth`` (documents older than the field were relaxed
    ``independent``), ``li_layer_principal_strains`` (fractions; ``None`` for pseudomorphic
    layers) and ``li_layer_max_strain_allowed`` (the bound the cell was chosen within).
    """
    rows = []
    for m in result.multilayers:
        strain = m.get("li_layer_strain") or {}
        for i, n in enumerate(m["n_layers"][1:]):
            rows.append(
                {
                    "material": m["material"],
                    "li_per_layer": m.get("li_per_layer"),
                    "growth": m.get("growth", "independent"),
                    "lattice_mismatch": m["lattice_mismatch"],
                    "li_layer_principal_strains": strain.get("principal"),
                    "li_layer_max_strain_allowed": strain.get("max_strain_allowed"),
                    "n_layers": n,
                    "incremental_binding_energy_ev": m["incremental_binding_energy_ev"][i],
                    "average_binding_energy_ev": m["average_binding_energy_ev"][i],
                    "li_rms_shift_a": m["distortion"][i]["rms_a"],
                    "li_internal_strain_rms": m["distortion"][i].get("nn_strain_rms"),
                    "li_nn_distance_a": m["distortion"][i].get("nn_distance_mean_a"),
                    "li_nn_distance_std_a": m["distortion"][i].get("nn_distance_std_a"),
                    "converged": bool(m["converged"][i + 1]),
                }
            )
    return rows
