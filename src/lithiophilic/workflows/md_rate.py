"""The aggregation-rate summary of one surface (Fig. 5f): document and job.

:func:`aggregation_rate` turns the completed MD replicas of a surface into an
:class:`AggregationRateDoc` (see :func:`~lithiophilic.workflows.md_analysis.rate_summary`).
Both are re-exported from :mod:`lithiophilic.workflows.md`, the module stored documents and
flows name.
"""

from __future__ import annotations

from typing import Any, Literal

from jobflow import job
from pydantic import BaseModel, Field

from lithiophilic.analysis.aggregation import RATE_DEFINITION
from lithiophilic.provenance import LITHIOPHILIC_VERSION
from lithiophilic.workflows.md_analysis import rate_summary

__all__ = ["AggregationRateDoc", "aggregation_rate"]


class AggregationRateDoc(BaseModel):
    """Aggregation rate of one surface over its completed replicas."""

    doc_type: Literal["aggregation_rate"] = Field("aggregation_rate", description="Family.")
    material: str = Field(description="Substrate material.")
    status: Literal["completed", "failed"] = Field(description="'failed': no completed replica.")
    n_replicas: int = Field(description="Replicas run.")
    n_completed: int = Field(description="Replicas that completed (used in the statistics).")
    failed_replicas: dict[str, str] = Field(description="Replica number → failure reason.")
    k_per_ps: float | None = Field(None, description="Mean aggregation rate k, 1/ps.")
    k_ci_low_per_ps: float | None = Field(None, description="Lower 95 % t-interval bound, 1/ps.")
    k_ci_high_per_ps: float | None = Field(None, description="Upper 95 % t-interval bound, 1/ps.")
    k_per_ps_replicas: list[float] = Field(default_factory=list, description="k per replica.")
    cluster_growth_per_ps: float | None = Field(
        None, description="Mean slope of the mean cluster size, 1/ps."
    )
    statistics: dict[str, Any] | None = Field(
        None,
        description="surface_kinetics at cutoff_a over the whole run, plus cluster_growth_per_ps "
        "(before issue 19: rate_over_replicas output).",
    )
    cutoff_a: float | None = Field(
        None, description="Li-Li cluster cutoff of the rate (common to all replicas), Å."
    )
    cutoff_source: str | None = Field(None, description="How cutoff_a was obtained.")
    cutoffs_a: list[float] = Field(
        default_factory=list,
        description="Each replica's own cutoff (its MD document); information only.",
    )
    replica_frames: list[list[dict[str, Any]]] = Field(
        default_factory=list,
        description="Per completed replica, per-frame cluster metrics with cutoff_a.",
    )
    definition: str = Field(RATE_DEFINITION, description="Definition of the rate.")
    analysis_cutoffs_a: list[float] = Field(
        default_factory=list, description="Li-Li cutoffs of the kinetics rows, Å."
    )
    kinetics: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Per analysis cutoff and window ('whole', 'first-half'): k_per_ps, phi_inf, "
        "r0_per_ps (1/ps), t_half_ps, coordination_end, largest_cluster_end, each with its 95% "
        "t-interval (<name>_ci) and per-replica values; pooled fit; n.",
    )
    window_checks: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Per cutoff and quantity: whole run vs first half (stable, overlap, "
        "relative_difference, reason).",
    )
    li_diffusion_a2_per_ps: float | None = Field(
        None,
        description="Li lateral diffusion coefficient (MSD slope/4), mean over replicas, Å²/ps.",
    )
    li_diffusion_ci_a2_per_ps: list[float] | None = Field(
        None, description="95% t-interval of li_diffusion_a2_per_ps, Å²/ps."
    )
    li_diffusion_replicas_a2_per_ps: list[float] = Field(
        default_factory=list, description="Li lateral diffusion coefficient per replica, Å²/ps."
    )
    diffusion_fit_lags_ps: list[float] | None = Field(
        None, description="First and last lag of the MSD straight-line fit, ps."
    )
    diffusion_note: str | None = Field(None, description="How D was fitted, or why not.")
    start_protocol: str | None = Field(
        None, description="What ran before the first analysed frame (from the MD documents)."
    )
    potential: str = Field(
        description="LAMMPS potential; ASE-engine runs: 'ase:<calculator>' (e.g. 'ase:sevenn')."
    )
    engine: Literal["lammps", "ase"] = Field(
        "lammps", description="MD engine of the replicas (documents before it: LAMMPS)."
    )
    validated_for_science: bool = Field(description="The potential's validated_for_science.")
    warnings: list[str] = Field(default_factory=list, description="Warnings.")
    replica_uuids: list[str] = Field(default_factory=list, description="uuids of the MD jobs.")
    lithiophilic_version: str = Field(LITHIOPHILIC_VERSION, description="lithiophilic version.")


@job(output_schema=AggregationRateDoc)
def aggregation_rate(
    material: str,
    docs: list[dict[str, Any]],
    uuids: list[str] | None = None,
    cutoff_a: float | None = None,
    analysis_cutoffs_a: list[float] | None = None,
) -> AggregationRateDoc:
    """Fit the aggregation rate of each completed replica; mean and t-interval over replicas.

    All replicas use one Li-Li cutoff: ``cutoff_a`` if given, else the first minimum of the
    Li-Li distribution pooled over the replicas' trajectories (each MD document keeps the
    metrics with its own cutoff). See :func:`~lithiophilic.workflows.md_analysis.rate_summary`.
    """
    docs = [d.model_dump() if isinstance(d, BaseModel) else dict(d) for d in docs]
    return AggregationRateDoc(**rate_summary(material, docs, uuids, cutoff_a, analysis_cutoffs_a))
