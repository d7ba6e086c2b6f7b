"""The skin screen's default facet: the lowest-γ low-index facet, computed with the same calculator.

When ``screen`` is given no ``--facet``, each skin's facet is chosen from its low-index
candidates (:data:`CANDIDATE_FACETS`, by lattice) by the relaxed surface energy γ of the
surface study (:mod:`lithiophilic.studies.surface`): one surface flow per skin over the
candidates, with the very slab settings of the screen's single-Li flows
(:func:`lithiophilic.studies.li_sites.surface_options`), so the chosen facet's relaxed slab is
the one the Li flows reuse. For a multi-termination facet the lowest-γ termination is used
(:func:`~lithiophilic.analysis.surface.lowest_gamma_termination`: the Δμ-min edge of the
window, the Cu-rich edge for Cu–Zn); per termination the thickest converged slab.

The facet with the lowest relaxed γ wins; facets within :data:`TIE_J_PER_M2` of it are a tie,
resolved by candidate order (close-packed first) and reported. A candidate whose slab did not
converge is named and left out; none converged: the close-packed facet, with that reason.

``--quick`` restricts the candidates of γ-brass and solid-solution (SQS) skins to (111) (their
slabs are 50–150 atoms per facet); every element keeps all its candidates (1×1 slabs).

Miller indices are those of the cell :func:`~lithiophilic.structures.make_bulk` builds (hcp:
the 3-index (hkl) of the hexagonal cell: [0, 0, 1] = (0001), [1, 0, 0] = (10-10)).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from lithiophilic.analysis.surface import lowest_gamma_termination, row_gamma_edges_j_per_m2
from lithiophilic.errors import AnalysisError
from lithiophilic.studies import li_sites, surface

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from jobflow import Flow, JobStore

__all__ = [
    "CANDIDATE_FACETS",
    "TIE_J_PER_M2",
    "candidate_facets",
    "choose_facet",
    "facet_flow",
    "facet_name",
    "facet_surface_options",
]

logger = logging.getLogger(__name__)

#: Low-index candidate facets per bulk lattice (Miller indices of the make_bulk cell).
CANDIDATE_FACETS: dict[str, list[list[int]]] = {
    "fcc": [[1, 1, 1], [1, 0, 0], [1, 1, 0]],
    "hcp": [[0, 0, 1], [1, 0, 0]],
    "bcc": [[1, 1, 0], [1, 0, 0]],
    "bct": [[1, 0, 0], [0, 0, 1], [1, 0, 1]],
    "gamma-brass": [[1, 1, 1], [1, 0, 0]],
}
#: Relaxed γ closer than this to the lowest is a tie, J/m².
TIE_J_PER_M2 = 0.005


def facet_name(lattice: str, miller: Sequence[int]) -> str:
    """Return a facet's name on its lattice: ``(0001)``/``(10-10)`` on hcp, else ``(hkl)``."""
    m = [int(i) for i in miller]
    if lattice == "hcp":
        h, k, l_ = m
        return f"({h}{k}{-(h + k)}{l_})"
    return "(" + "".join(str(i) for i in m) + ")"


def candidate_facets(lattice: str, kind: str, *, quick: bool) -> tuple[list[list[int]], str]:
    """Return the candidate facets of a skin and a note on how they were restricted."""
    candidates = CANDIDATE_FACETS.get(lattice)
    if candidates is None:
        return [[1, 1, 1]], f"no candidate list for lattice {lattice!r}: (111) only"
    compound = kind == "complex" and lattice == "gamma-brass"
    if quick and (kind == "sqs" or compound):
        return [[1, 1, 1]], "--quick: (111) only for gamma-brass and SQS skins"
    return [list(m) for m in candidates], "all low-index candidates of the lattice"


def facet_surface_options(sites: li_sites.Options, candidates: list[list[int]]) -> surface.Options:
    """Return the surface study's options over ``candidates`` with the 5c slab settings."""
    return li_sites.surface_options(sites.updated(millers=[list(m) for m in candidates]))


def facet_flow(sites: li_sites.Options, label: str, candidates: list[list[int]]) -> Flow:
    """Return the surface flow of one skin over its candidate facets (cached slab jobs)."""
    options = facet_surface_options(sites, candidates)
    return surface.build_flows(options)[label]


def _gamma_of(rows: Sequence[Mapping[str, Any]], label: str, miller: list[int]) -> dict | None:
    """Return the lowest-γ termination's relaxed γ of one facet (None: nothing converged)."""
    try:
        term, changes = lowest_gamma_termination(rows, label, miller)
    except AnalysisError:
        return None
    best: tuple[int, float] | None = None
    for r in rows:
        if r["material"] != label or list(r["miller"]) != miller or r["termination"] != term:
            continue
        edges = row_gamma_edges_j_per_m2(r)
        if edges is not None and (best is None or int(r.get("n_atoms") or 0) > best[0]):
            best = (int(r.get("n_atoms") or 0), edges[0])
    if best is None:
        return None
    return {
        "termination": term,
        "gamma_relaxed_j_per_m2": best[1],
        "changes_across_window": changes,
    }


def choose_facet(
    store: JobStore,
    sites: li_sites.Options,
    label: str,
    lattice: str,
    candidates: list[list[int]],
    note: str,
) -> dict[str, Any]:
    """Return the lowest-γ facet of one skin from the stored surface energies, and why.

    Returns
    -------
    dict
        ``facet`` (Miller index), ``facet_name``, ``termination``, ``gamma_relaxed_j_per_m2``,
        ``candidates`` (facet name -> relaxed γ in J/m², None: not converged / not stored),
        ``tied_with``, ``reason`` (one sentence), ``chosen_by`` ("lowest relaxed gamma" or
        "fallback: close-packed").
    """
    options = facet_surface_options(sites, candidates)
    rows = surface.collect(store, options).rows
    gammas = {tuple(m): _gamma_of(rows, label, list(m)) for m in candidates}
    shown = {
        facet_name(lattice, m): None if g is None else g["gamma_relaxed_j_per_m2"]
        for m, g in gammas.items()
    }
    have = [(m, g) for m, g in gammas.items() if g is not None]
    if not have:
        facet = list(candidates[0])
        return {
            "facet": facet,
            "facet_name": facet_name(lattice, facet),
            "termination": None,
            "gamma_relaxed_j_per_m2": None,
            "candidates": shown,
            "tied_with": [],
            "chosen_by": "fallback: close-packed",
            "reason": f"no candidate facet has a converged relaxed gamma ({note}); the "
            f"close-packed {facet_name(lattice, facet)} is used",
        }
    low = min(g["gamma_relaxed_j_per_m2"] for _, g in have)
    tied = [m for m, g in have if g["gamma_relaxed_j_per_m2"] - low <= TIE_J_PER_M2]
    m, g = tied[0], gammas[tied[0]]
    others = ", ".join(f"{k} {v:.3f}" if v is not None else f"{k} n/a" for k, v in shown.items())
    reason = (
        f"lowest relaxed gamma of the candidates ({others} J/m2; {note})"
        + (f"; tie within {TIE_J_PER_M2} J/m2 resolved by candidate order" if len(tied) > 1 else "")
        + (f"; termination {g['termination']}" if g["termination"] else "")
    )
    return {
        "facet": list(m),
        "facet_name": facet_name(lattice, m),
        "termination": g["termination"],
        "gamma_relaxed_j_per_m2": g["gamma_relaxed_j_per_m2"],
        "candidates": shown,
        "tied_with": [facet_name(lattice, t) for t in tied[1:]],
        "chosen_by": "lowest relaxed gamma",
        "reason": reason,
    }
