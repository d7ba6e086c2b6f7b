"""The ``binding`` command's study: single Li (Fig. 5c) and, optionally, Li layers (5d, 5e).

Not a panel study of its own (:data:`lithiophilic.studies.PANELS` maps 5c to
:mod:`~lithiophilic.studies.li_sites` and 5d/5e to :mod:`~lithiophilic.studies.li_layers`):
it composes the two so that one ``Options`` describes ``lithiophilic binding ... --layers N``,
and ``lithiophilic submit binding ...`` submits the site flows and the layer flows together.
It follows the same protocol (``Options``, ``build_flows``, ``run``, ``collect``, ``figures``,
``claims``, ``table_rows``); :func:`payload` is the command's ``--json`` document.

Examples
--------
>>> from lithiophilic.studies import binding, li_layers, li_sites
>>> sites = li_sites.Options.quick(materials=["Cu"], max_sites=1)
>>> options = binding.Options(sites=sites, layers=li_layers.Options.quick(sites=sites))
>>> sorted(binding.build_flows(options))
['Cu 111', 'Cu layers']
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

from pydantic import Field, model_validator

from lithiophilic.analysis.binding import BINDING_DEFINITION
from lithiophilic.studies import li_layers, li_sites
from lithiophilic.studies.base import (
    StudyOptions,
    StudyResult,
    build_and_run,
    keep_relax_trajectories,
    material_label,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from jobflow import Flow, JobStore

    from lithiophilic.analysis.claims import Claim
    from lithiophilic.studies.base import JobEvent

__all__ = [
    "Options",
    "Result",
    "build_flows",
    "claims",
    "collect",
    "figures",
    "payload",
    "run",
    "table_rows",
]


class Options(StudyOptions):
    """Single Li on every site (``sites``) and, unless ``layers`` is None, Li layers on (111).

    ``layers.sites`` must be ``sites`` (one set of materials, slabs, calculator and Li
    references); given as a mapping without ``sites``, ``layers`` takes this ``sites``.
    """

    study: ClassVar[str] = "binding"

    sites: li_sites.Options = Field(
        default_factory=li_sites.Options, description="The single-Li study (Fig. 5c)."
    )
    layers: li_layers.Options | None = Field(
        None, description="The Li-layers study (Fig. 5d/5e); None: single Li only."
    )

    @classmethod
    def full(cls, **overrides: Any) -> Self:
        """Return the production settings: single Li and 5 Li layers."""
        sites = overrides.pop("sites") if "sites" in overrides else li_sites.Options()
        if "layers" in overrides:
            layers = overrides.pop("layers")
        else:
            layers = li_layers.Options(sites=sites)
        return cls(sites=sites, layers=layers, **overrides)

    @classmethod
    def quick(cls, **overrides: Any) -> Self:
        """Return the quick campaign's settings: quick single Li and 2 quick Li layers."""
        sites = overrides.pop("sites") if "sites" in overrides else li_sites.Options.quick()
        if "layers" in overrides:
            layers = overrides.pop("layers")
        else:
            layers = li_layers.Options.quick(sites=sites)
        return cls(sites=sites, layers=layers, **overrides)

    @model_validator(mode="before")
    @classmethod
    def _layers_share_sites(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("layers"), dict):
            layers = data["layers"]
            if "sites" not in layers:
                data = {**data, "layers": {**layers, "sites": data.get("sites", {})}}
        return data

    @model_validator(mode="after")
    def _same_sites(self) -> Self:
        if self.layers is not None and self.layers.sites != self.sites:
            msg = (
                "layers.sites: differs from sites; the Li layers use the single-Li study's "
                "materials, slabs, calculator and Li references (give the same options)"
            )
            raise ValueError(msg)
        return self


class Result(StudyResult):
    """Both studies' results; ``missing`` and ``failed`` gather theirs."""

    study: str = Field("binding", description="Study name.")
    definition: str = Field(BINDING_DEFINITION, description="Conventions of E_ads and E_b.")
    sites: li_sites.Result = Field(description="Single Li (Fig. 5c).")
    layers: li_layers.Result | None = Field(None, description="Li layers (Fig. 5d/5e).")


def build_flows(options: Options) -> dict[str, Flow]:
    """Return the single-Li flows, then the Li-layer flows (see the two studies).

    Raises
    ------
    ConfigurationError
        As :func:`li_sites.build_flows <lithiophilic.studies.li_sites.build_flows>` and
        :func:`li_layers.build_flows <lithiophilic.studies.li_layers.build_flows>`.
    """
    flows = li_sites.build_flows(options.sites)
    if options.layers is not None:
        flows.update(li_layers.build_flows(options.layers))
    return keep_relax_trajectories(flows, options.keep_trajectory)


def _layer_labels(options: Options) -> set[str]:
    if options.layers is None:
        return set()
    return {li_layers.flow_label(material_label(m)) for m in options.layers.sites.materials}


def _combine(options: Options, sites: li_sites.Result, layers: li_layers.Result | None) -> Result:
    return Result(
        options=options.model_dump(mode="json"),
        sites=sites,
        layers=layers,
        missing=[*sites.missing, *(layers.missing if layers else [])],
        failed={**sites.failed, **(layers.failed if layers else {})},
    )


def run(
    options: Options,
    store: JobStore | None = None,
    *,
    data_dir: str | Path | None = None,
    on_job: Callable[[JobEvent], None] | None = None,
    flows: Mapping[str, Flow] | None = None,
) -> Result:
    """Run the single-Li flows, then the Li-layer flows, into ``store``; return both results.

    Parameters are those of :func:`li_sites.run <lithiophilic.studies.li_sites.run>`.
    """
    store, outputs, failed = build_and_run(
        options, store, build_flows=build_flows, data_dir=data_dir, on_job=on_job, flows=flows
    )
    layer_keys = _layer_labels(options)
    sites = li_sites.collect(store, options.sites, outputs=outputs)
    sites.failed.update({k: v for k, v in failed.items() if k not in layer_keys})
    layers = None
    if options.layers is not None:
        layers = li_layers.collect(store, options.layers, outputs=outputs)
        layers.failed.update({k: v for k, v in failed.items() if k in layer_keys})
    return _combine(options, sites, layers)


def collect(store: JobStore, options: Options) -> Result:
    """Return the stored results of both studies (never raises; see their ``collect``)."""
    sites = li_sites.collect(store, options.sites)
    layers = li_layers.collect(store, options.layers) if options.layers is not None else None
    return _combine(options, sites, layers)


def figures(result: Result, out_dir: str | Path, *, format: str = "png") -> dict[str, Path]:
    """Draw Fig. 5c and, with layers, Fig. 5d and 5e; return panel id -> PNG.

    ``format``: ``"png"``, ``"pdf"`` or ``"svg"`` (the figure files' suffix); the open
    matplotlib Figures come from the analysis builders (``*_figure``).
    """
    paths = li_sites.figures(result.sites, out_dir, format=format)
    if result.layers is not None:
        paths.update(li_layers.figures(result.layers, out_dir, format=format))
    return paths


def claims(result: Result, *, roles: Mapping[str, str] | None = None) -> list[Claim]:
    """Return the paper's Fig. 5c claims and, with layers, its 5d and 5e claims.

    ``roles``: role -> material label (default :data:`lithiophilic.defaults.PAPER_ROLES`).
    """
    found = li_sites.claims(result.sites, roles=roles)
    if result.layers is not None:
        found += li_layers.claims(result.layers, roles=roles)
    return found


def table_rows(result: Result) -> list[dict[str, Any]]:
    """Return the Fig. 5c table rows, then the Fig. 5d ones, each with its ``panel``."""
    rows = [{"panel": "5c", **r} for r in li_sites.table_rows(result.sites)]
    if result.layers is not None:
        rows += [{"panel": "5d", **r} for r in li_layers.table_rows(result.layers)]
    return rows


def payload(result: Result) -> dict[str, Any]:
    """Return the ``binding --json`` document (without ``failed``), the input of the 5c–5e claims.

    Keys: ``definition``, ``summaries`` and ``prescreens`` (single Li), ``multilayers`` (Li
    layers without their relaxed structures; empty without layers).
    """
    return {
        "definition": result.definition,
        "summaries": result.sites.summaries,
        "prescreens": result.sites.prescreens,
        "multilayers": result.layers.multilayers if result.layers is not None else [],
    }
