"""Single Li on the surface that matters: the lowest-γ termination of a complex structure.

A skin of γ-brass on a Cu collector sits at the Cu-rich edge of its Δμ_Zn window, so the
termination it exposes is the one of lowest γ there
(:func:`~lithiophilic.analysis.surface.lowest_gamma_termination`, the surface code's choice).
If another termination is lowest at the other edge of the window, Li binding is computed on
both.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from jobflow import Flow, Response, job

from lithiophilic.analysis.li_outcome import CHOICE_MAX_EDGE, CHOICE_MIN_EDGE
from lithiophilic.analysis.surface import facet_label
from lithiophilic.workflows.binding.jobs import cut_first_slab, make_site_jobs
from lithiophilic.workflows.task_docs import make_calc_job

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from lithiophilic.workflows.binding.flows import LiSiteBindingMaker

__all__ = ["CHOICE_MAX_EDGE", "CHOICE_MIN_EDGE", "lowest_gamma_picks", "sites_on_lowest_gamma"]

_SWAP = (("gamma_relaxed_at_delta_mu_min_j_per_m2", "gamma_relaxed_at_delta_mu_max_j_per_m2"),)


def _mirrored(row: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``row`` with its two Δμ edges swapped (the max edge read as the min edge)."""
    out = dict(row)
    for a, b in _SWAP:
        out[a], out[b] = row.get(b), row.get(a)
    line = row.get("gamma_vs_delta_mu")
    if line:
        out["gamma_vs_delta_mu"] = {
            **line,
            "delta_mu_min_ev": line["delta_mu_max_ev"],
            "delta_mu_max_ev": line["delta_mu_min_ev"],
        }
    return out


def lowest_gamma_picks(
    rows: Sequence[Mapping[str, Any]], material: str, miller: Sequence[int]
) -> list[tuple[int, str]]:
    """Return the termination(s) to bind Li on: ``[(termination, why), ...]``.

    The first is lowest in γ at the Δμ-min edge; a second one, lowest at the Δμ-max edge, is
    added when the lowest termination changes across the window.

    Raises
    ------
    AnalysisError
        If no converged surface energy of that material and facet exists.
    """
    from lithiophilic.analysis.surface import lowest_gamma_termination

    first, changes = lowest_gamma_termination(list(rows), material, list(miller))
    picks = [(int(first), CHOICE_MIN_EDGE)]
    if changes:
        other, _ = lowest_gamma_termination([_mirrored(r) for r in rows], material, list(miller))
        if int(other) != int(first):
            picks.append((int(other), CHOICE_MAX_EDGE))
    return picks


@job
def sites_on_lowest_gamma(
    maker: LiSiteBindingMaker,
    material: str,
    miller: list[int],
    bulk: Any,
    reference: Any,
    surface_summary: Any,
    kind: str,
) -> Response:
    """Cut, relax and bind Li on the lowest-γ termination(s) of ``surface_summary``'s rows.

    The output is the summary of the termination lowest at the Δμ-min edge; a second
    termination's summary is stored beside it (``termination_choice`` tells them apart).
    """
    rows = surface_summary["rows"] if isinstance(surface_summary, dict) else surface_summary.rows
    sm = maker.surface_maker
    label = f"{material} {facet_label(miller)}"
    jobs: list[Any] = []
    outputs: list[Any] = []
    for termination, why in lowest_gamma_picks(rows, material, miller):
        cut = cut_first_slab(bulk, sm, miller, kind, termination)
        cut.append_name(f" {label} t{termination}")
        relax = make_calc_job(sm.slab_relax_maker, cut.output["structure"], f"{label} clean slab")
        relax.append_name(f" {label} clean t{termination}")
        ctx = {"termination": termination, "sqs_seed": None, "termination_choice": why}
        fan = make_site_jobs(
            replace(maker, termination=termination), material, miller, relax.output, reference, ctx
        )
        fan.append_name(f" {label} t{termination}")
        jobs += [cut, relax, fan]
        outputs.append(fan.output)
    return Response(replace=Flow(jobs, output=outputs[0], name=f"Li sites {label} lowest gamma"))
