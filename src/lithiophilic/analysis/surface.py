"""Surface energies: the formulas, the chemical-potential dependence, tables and Fig. 5a.

Definitions (printed with every result, see :data:`GAMMA_DEFINITION`):

* symmetric, stoichiometric slab: γ = (E_slab − N·ε_bulk) / (2A);
* slab relaxed on one face only (bottom layers fixed): γ_relaxed = γ_unrelaxed + (E_relaxed − E_unrelaxed)/A;
* binary slab whose composition differs from the bulk's:
  γ(Δμ_B) = [E_slab − N_A μ_A − N_B μ_B]/(2A) with x_A μ_A + x_B μ_B = ε_bulk and
  μ_B = ε_B⁰ + Δμ_B, Δμ_B ∈ [ΔH_f/x_B, 0] (both elements no richer than their own bulk).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lithiophilic.analysis.figures import save_figure
from lithiophilic.errors import AnalysisError
from lithiophilic.units import EV_PER_A2_TO_J_PER_M2

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "GAMMA_DEFINITION",
    "SURFACE_ROW_KEYS",
    "DeltaMuWindow",
    "GammaLine",
    "delta_mu_window",
    "facet_label",
    "formation_energy_per_atom_ev",
    "gamma_at_window_edges_j_per_m2",
    "gamma_vs_delta_mu",
    "lowest_gamma_termination",
    "plot_surface_energies",
    "relaxed_one_face_gamma_ev_per_a2",
    "surface_energies_figure",
    "surface_energy_ev_per_a2",
    "window_gamma_fields",
    "write_gamma_csv",
]

GAMMA_DEFINITION = (
    "gamma = (E_slab - N*eps_bulk)/(2A) for stoichiometric slabs (eps_bulk: energy per atom of the "
    "relaxed bulk with the same calculator and settings; for SQS slabs, of the periodic SQS cell the "
    "slab was cut from, so gamma is the mean of its two differently decorated faces); one-face "
    "relaxation: gamma_rel = gamma_unrel + (E_rel - E_unrel)/A; non-stoichiometric binary slabs: "
    "gamma(dmu_B) = [E_slab - N_A mu_A - N_B mu_B]/(2A), x_A mu_A + x_B mu_B = eps_bulk, "
    "dmu_B in [dH_f/x_B, 0]. 1 eV/A^2 = 16.0218 J/m^2."
)


def surface_energy_ev_per_a2(
    slab_energy_ev: float,
    n_atoms: int,
    bulk_energy_per_atom_ev: float,
    area_a2: float,
    *,
    n_faces: int = 2,
) -> float:
    """Return γ = (E_slab − N·ε_bulk)/(n_faces·A) in eV/Å².

    Parameters
    ----------
    slab_energy_ev
        Total energy of the slab, eV.
    n_atoms
        Number of atoms in the slab.
    bulk_energy_per_atom_ev
        Energy per atom of the bulk the slab was cut from (same calculator and settings), eV.
    area_a2
        In-plane area of the slab cell, Å² (one face).
    n_faces
        Number of created surfaces (2 for a slab).

    Raises
    ------
    AnalysisError
        If the area is not positive or the atom count is not positive.
    """
    if not area_a2 > 0:
        msg = f"area_a2 must be positive, got {area_a2}"
        raise AnalysisError(msg)
    if n_atoms <= 0:
        msg = f"n_atoms must be positive, got {n_atoms}"
        raise AnalysisError(msg)
    return (slab_energy_ev - n_atoms * bulk_energy_per_atom_ev) / (n_faces * area_a2)


def relaxed_one_face_gamma_ev_per_a2(
    gamma_unrelaxed_ev_per_a2: float,
    relaxed_energy_ev: float,
    unrelaxed_energy_ev: float,
    area_a2: float,
) -> float:
    """Return γ of the relaxed face of a slab relaxed on one face only, eV/Å².

    γ_rel = γ_unrel + (E_relaxed − E_unrelaxed)/A, for a slab whose bottom layers were
    held at their bulk positions (the bottom face stays unrelaxed).
    """
    return gamma_unrelaxed_ev_per_a2 + (relaxed_energy_ev - unrelaxed_energy_ev) / area_a2


def formation_energy_per_atom_ev(
    bulk_energy_per_atom_ev: float,
    composition: Mapping[str, float],
    elemental_energy_per_atom_ev: Mapping[str, float],
) -> float:
    """Return ΔH_f = ε_bulk − Σ_i x_i ε_i⁰ in eV/atom (negative: stable against the elements).

    Raises
    ------
    AnalysisError
        If an elemental reference is missing.
    """
    missing = sorted(set(composition) - set(elemental_energy_per_atom_ev))
    if missing:
        msg = f"no elemental reference energy for {missing}"
        raise AnalysisError(msg)
    total = sum(composition.values())
    return bulk_energy_per_atom_ev - sum(
        x / total * elemental_energy_per_atom_ev[el] for el, x in composition.items()
    )


@dataclass
class GammaLine:
    """γ of a non-stoichiometric binary slab as a linear function of Δμ of one element.

    γ(Δμ) = gamma_at_zero_ev_per_a2 + slope_per_a2 · Δμ, valid for
    delta_mu_min_ev ≤ Δμ ≤ delta_mu_max_ev.
    """

    variable_element: str
    dependent_element: str
    delta_mu_min_ev: float
    delta_mu_max_ev: float
    gamma_at_zero_ev_per_a2: float
    slope_per_a2: float
    formation_energy_per_atom_ev: float
    bulk_stable: bool
    excess_atoms: float

    def gamma_ev_per_a2(self, delta_mu_ev: float) -> float:
        """Return γ in eV/Å² at Δμ of the variable element (eV)."""
        return self.gamma_at_zero_ev_per_a2 + self.slope_per_a2 * delta_mu_ev

    @property
    def gamma_min_ev_per_a2(self) -> float:
        """Smallest γ over the allowed Δμ range, eV/Å²."""
        return min(
            self.gamma_ev_per_a2(self.delta_mu_min_ev), self.gamma_ev_per_a2(self.delta_mu_max_ev)
        )

    @property
    def gamma_max_ev_per_a2(self) -> float:
        """Largest γ over the allowed Δμ range, eV/Å²."""
        return max(
            self.gamma_ev_per_a2(self.delta_mu_min_ev), self.gamma_ev_per_a2(self.delta_mu_max_ev)
        )

    def as_dict(self) -> dict[str, Any]:
        """Return the line and its γ range (eV/Å² and J/m²) as a plain dict."""
        data = asdict(self)
        data["gamma_min_ev_per_a2"] = self.gamma_min_ev_per_a2
        data["gamma_max_ev_per_a2"] = self.gamma_max_ev_per_a2
        data["gamma_min_j_per_m2"] = self.gamma_min_ev_per_a2 * EV_PER_A2_TO_J_PER_M2
        data["gamma_max_j_per_m2"] = self.gamma_max_ev_per_a2 * EV_PER_A2_TO_J_PER_M2
        return data


def gamma_vs_delta_mu(
    slab_energy_ev: float,
    slab_counts: Mapping[str, int],
    bulk_composition: Mapping[str, float],
    bulk_energy_per_atom_ev: float,
    elemental_energy_per_atom_ev: Mapping[str, float],
    area_a2: float,
    *,
    variable_element: str | None = None,
) -> GammaLine:
    """Return γ(Δμ) of a binary slab whose composition may differ from the bulk's.

    Parameters
    ----------
    slab_energy_ev
        Total slab energy, eV.
    slab_counts
        Number of atoms of each element in the slab.
    bulk_composition
        Bulk composition (fractions or counts) of the two elements.
    bulk_energy_per_atom_ev
        ε_bulk of the alloy, eV/atom.
    elemental_energy_per_atom_ev
        ε⁰ of each element in its own bulk, eV/atom (same calculator and settings).
    area_a2
        Area of one face, Å².
    variable_element
        The element whose Δμ is the free variable (default: the second one alphabetically,
        e.g. Zn in Cu–Zn).

    Returns
    -------
    GammaLine
        γ at Δμ = 0, the slope, and the allowed Δμ range [ΔH_f/x_B, 0].

    Raises
    ------
    AnalysisError
        If the system is not binary or elements of the slab are not in the bulk.
    """
    elements = sorted(bulk_composition)
    if len(elements) != 2:
        msg = f"gamma(delta mu) is implemented for binary alloys, got elements {elements}"
        raise AnalysisError(msg)
    extra = sorted(set(slab_counts) - set(elements))
    if extra:
        msg = f"slab contains elements {extra} that are not in the bulk {elements}"
        raise AnalysisError(msg)
    b = variable_element or elements[1]
    if b not in elements:
        msg = f"variable_element {b!r} is not one of {elements}"
        raise AnalysisError(msg)
    a = elements[0] if b == elements[1] else elements[1]
    total = sum(bulk_composition.values())
    x_a, x_b = bulk_composition[a] / total, bulk_composition[b] / total
    n_a, n_b = slab_counts.get(a, 0), slab_counts.get(b, 0)
    e_b0 = elemental_energy_per_atom_ev[b]
    dh = formation_energy_per_atom_ev(
        bulk_energy_per_atom_ev, bulk_composition, elemental_energy_per_atom_ev
    )
    # mu_a = (eps - x_b mu_b)/x_a ; gamma = [E - n_a mu_a - n_b mu_b]/(2A)
    excess = n_b - n_a * x_b / x_a
    gamma0 = (slab_energy_ev - n_a * bulk_energy_per_atom_ev / x_a - excess * e_b0) / (2 * area_a2)
    slope = -excess / (2 * area_a2)
    lo, hi = dh / x_b, 0.0
    return GammaLine(
        variable_element=b,
        dependent_element=a,
        delta_mu_min_ev=min(lo, hi),
        delta_mu_max_ev=max(lo, hi),
        gamma_at_zero_ev_per_a2=gamma0,
        slope_per_a2=slope,
        formation_energy_per_atom_ev=dh,
        bulk_stable=dh < 0,
        excess_atoms=excess,
    )


@dataclass
class DeltaMuWindow:
    """The Δμ range of one element over which a binary compound is stable.

    ``delta_mu_min_ev`` is the edge poor in ``variable_element`` (rich in the other element,
    e.g. the Cu-rich edge of γ-brass, where a skin on a Cu collector sits), ``delta_mu_max_ev``
    the edge rich in it. ``source`` says where the bounds come from: ``"two-phase equilibria"``
    (the compound's neighbours on the calculator's convex hull) or ``"elemental bounds"`` (fcc/hcp
    elements; the fallback when the compound is not on the hull, ``flag`` then says why).
    ``energy_above_hull_of_phases_ev_per_atom`` gives each compound's signed distance from the
    hull of all the other phases (eV/atom; negative: on the hull by that margin, positive:
    it would decompose into its neighbours).
    """

    variable_element: str
    dependent_element: str
    delta_mu_min_ev: float
    delta_mu_max_ev: float
    source: str
    stable_on_hull: bool
    energy_above_hull_ev_per_atom: float
    neighbours: list[str]
    formation_energy_per_atom_ev: dict[str, float]
    fraction_variable: dict[str, float]
    elemental_window_ev: list[float]
    flag: str | None = None
    energy_above_hull_of_phases_ev_per_atom: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        return asdict(self)


def _lower_hull(points: Sequence[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    """Return the lower convex hull of (x, h, name) points, sorted by x (monotone chain)."""
    pts = sorted(points)
    hull: list[tuple[float, float, str]] = []
    for p in pts:
        while len(hull) >= 2:
            (x1, h1, _), (x2, h2, _) = hull[-2], hull[-1]
            # drop hull[-1] if it lies on or above the segment hull[-2] -> p
            if (x2 - x1) * (p[1] - h1) - (h2 - h1) * (p[0] - x1) <= 1e-12:
                hull.pop()
            else:
                break
        hull.append(p)
    return hull


def delta_mu_window(
    target: str,
    phases: Mapping[str, tuple[float, float]],
    *,
    variable_element: str,
    dependent_element: str,
    tolerance_ev_per_atom: float = 1e-4,
) -> DeltaMuWindow:
    """Return the Δμ window of ``variable_element`` over which ``target`` is stable.

    A binary phase diagram at T = 0 from the calculator's own energies: each phase is a point
    (x, ΔH_f) with x the fraction of ``variable_element`` and ΔH_f the formation energy per
    atom against the two elemental bulks (x = 0 and x = 1, ΔH_f = 0, added here). If the
    target lies on the lower convex hull, its neighbours L (poorer in the variable element)
    and R fix the window through the two-phase equilibria: on the tie line L–T,
    Δμ_B = ΔH_T + (1 − x_T)·(ΔH_T − ΔH_L)/(x_T − x_L), likewise T–R; with the elements as
    neighbours this reduces to [ΔH_T/x_T, 0]. If the target lies above the hull (by more than
    ``tolerance_ev_per_atom``), the window falls back to the elemental bounds
    [ΔH_T/x_T, 0] and ``flag`` says so.

    Parameters
    ----------
    target
        Name of the compound whose window is wanted (a key of ``phases``).
    phases
        Name -> (x of ``variable_element``, ΔH_f in eV/atom) of every competing phase,
        the target included (elements may be left out).
    variable_element, dependent_element
        The element whose Δμ is the variable (e.g. Zn) and the other one (e.g. Cu).
    tolerance_ev_per_atom
        Distance above the hull still counted as on it, eV/atom.

    Raises
    ------
    AnalysisError
        If the target is missing or not a compound (x outside (0, 1)).
    """
    if target not in phases:
        msg = f"target phase {target!r} is not among the phases {sorted(phases)}"
        raise AnalysisError(msg)
    x_t, h_t = (float(v) for v in phases[target])
    if not 0.0 < x_t < 1.0:
        msg = f"target phase {target!r} has x_{variable_element} = {x_t}; expected 0 < x < 1"
        raise AnalysisError(msg)
    points = {dependent_element: (0.0, 0.0), variable_element: (1.0, 0.0)}
    points.update({k: (float(x), float(h)) for k, (x, h) in phases.items()})
    above = {}
    for name, (x, h) in points.items():  # each phase against the hull of all the others
        rest = _lower_hull([(px, ph, k) for k, (px, ph) in points.items() if k != name])
        if 0.0 < x < 1.0:
            above[name] = h - float(np.interp(x, [p[0] for p in rest], [p[1] for p in rest]))
    others = [(x, h, k) for k, (x, h) in points.items() if k != target]
    hull = _lower_hull(others)
    # energy above the hull of the others, at x_t
    e_hull = float(np.interp(x_t, [p[0] for p in hull], [p[1] for p in hull]))
    e_above = max(h_t - e_hull, 0.0)
    elemental = [h_t / x_t, 0.0]
    common = {
        "variable_element": variable_element,
        "dependent_element": dependent_element,
        "formation_energy_per_atom_ev": {k: v[1] for k, v in points.items()},
        "fraction_variable": {k: v[0] for k, v in points.items()},
        "elemental_window_ev": elemental,
        "energy_above_hull_of_phases_ev_per_atom": above,
    }
    if h_t - e_hull > -tolerance_ev_per_atom:
        return DeltaMuWindow(
            delta_mu_min_ev=min(elemental),
            delta_mu_max_ev=max(elemental),
            source="elemental bounds",
            stable_on_hull=False,
            energy_above_hull_ev_per_atom=e_above,
            neighbours=[dependent_element, variable_element],
            flag=f"{target} lies {h_t - e_hull:+.4f} eV/atom from the hull of the competing "
            "phases (not below it): unstable with this calculator; Δμ falls back to the "
            "elemental bounds",
            **common,
        )
    full = _lower_hull([*others, (x_t, h_t, target)])
    i = [p[2] for p in full].index(target)
    (x_l, h_l, name_l), (x_r, h_r, name_r) = full[i - 1], full[i + 1]
    lo = h_t + (1.0 - x_t) * (h_t - h_l) / (x_t - x_l)
    hi = h_t + (1.0 - x_t) * (h_r - h_t) / (x_r - x_t)
    return DeltaMuWindow(
        delta_mu_min_ev=lo,
        delta_mu_max_ev=hi,
        source="two-phase equilibria",
        stable_on_hull=True,
        energy_above_hull_ev_per_atom=0.0,
        neighbours=[name_l, name_r],
        **common,
    )


def row_gamma_edges_j_per_m2(row: Mapping[str, Any]) -> tuple[float, float] | None:
    """Return relaxed γ (J/m²) of a surface-energy row at the Δμ-min and Δμ-max window edges.

    Stoichiometric rows give (γ, γ). Rows stored before the window fields existed use their
    γ(Δμ) line over its own (elemental) range. None if the relaxation did not converge.
    """
    g = row.get("gamma_relaxed_j_per_m2")
    if g is None or not row.get("converged", True) or not math.isfinite(g):
        return None
    lo = row.get("gamma_relaxed_at_delta_mu_min_j_per_m2")
    hi = row.get("gamma_relaxed_at_delta_mu_max_j_per_m2")
    if lo is not None and hi is not None:
        return float(lo), float(hi)
    line = row.get("gamma_vs_delta_mu")
    if line:  # older documents: the line's own (elemental) range
        g0, slope = line["gamma_at_zero_ev_per_a2"], line["slope_per_a2"]
        return (
            (g0 + slope * line["delta_mu_min_ev"]) * EV_PER_A2_TO_J_PER_M2,
            (g0 + slope * line["delta_mu_max_ev"]) * EV_PER_A2_TO_J_PER_M2,
        )
    return float(g), float(g)


def gamma_at_window_edges_j_per_m2(
    line: Mapping[str, Any], window: tuple[float, float]
) -> tuple[float, float]:
    """Return γ (J/m²) of a γ(Δμ) line (``GammaLine.as_dict()``) at the two window edges."""
    g0, slope = line["gamma_at_zero_ev_per_a2"], line["slope_per_a2"]
    return (
        (g0 + slope * window[0]) * EV_PER_A2_TO_J_PER_M2,
        (g0 + slope * window[1]) * EV_PER_A2_TO_J_PER_M2,
    )


def lowest_gamma_termination(
    result_or_rows: Any, material: str, miller: Sequence[int]
) -> tuple[int, bool]:
    """Return the lowest-γ termination at the Δμ-min edge and whether it changes across the window.

    For γ-brass with Δμ_Zn as the variable, the Δμ-min edge is the Cu-rich edge (a skin on a
    Cu collector). γ is linear in Δμ, so the termination lowest at both edges is lowest over
    the whole window; ``changes_across_window`` is True when another termination is lowest at
    the Δμ-max edge. Per termination the thickest converged slab is used. Stoichiometric slabs
    (a constant γ) never change.

    Parameters
    ----------
    result_or_rows
        A surface study ``Result`` (anything with ``rows``), a mapping with ``"rows"`` or the
        rows themselves.
    material
        Material label as stored.
    miller
        Facet.

    Returns
    -------
    tuple[int, bool]
        (termination index lowest at the Δμ-min edge, whether the lowest one changes across the
        window).

    Raises
    ------
    AnalysisError
        If no converged row of that material and facet exists.
    """
    rows = getattr(result_or_rows, "rows", result_or_rows)
    if isinstance(rows, Mapping):
        rows = rows.get("rows", [])
    best: dict[int, tuple[int, tuple[float, float]]] = {}
    for r in rows:
        if r.get("material") != material or list(r.get("miller", [])) != list(miller):
            continue
        edges = row_gamma_edges_j_per_m2(r)
        if edges is None:
            continue
        term, size = int(r.get("termination", 0)), int(r.get("n_atoms") or 0)
        if term not in best or size > best[term][0]:
            best[term] = (size, edges)
    if not best:
        msg = f"no converged relaxed surface energy of {material} {facet_label(miller)}"
        raise AnalysisError(msg)
    at_min = min(best, key=lambda t: (best[t][1][0], t))
    at_max = min(best, key=lambda t: (best[t][1][1], t))
    return at_min, at_min != at_max


def window_gamma_fields(
    line: dict[str, Any] | None,
    gamma_ev_per_a2: float,
    window: dict[str, Any] | None,
    *,
    converged: bool,
) -> dict[str, Any]:
    """Return relaxed γ at the Δμ-window edges and the window's provenance, J/m².

    Keys are the :class:`~lithiophilic.workflows.surface.SurfaceEnergyDoc` fields
    ``gamma_relaxed_at_delta_mu_{min,max}_j_per_m2``, ``delta_mu_window_ev``,
    ``delta_mu_window_source`` and ``delta_mu_window``. ``line`` is ``GammaLine.as_dict()``
    (``None``: a stoichiometric slab, one γ at every Δμ), ``gamma_ev_per_a2`` its reported
    γ, ``window`` the :meth:`DeltaMuWindow.as_dict` used (``None``: elemental bounds).
    """
    to_j = EV_PER_A2_TO_J_PER_M2
    if line is None:  # stoichiometric: one γ at every Δμ
        edge = gamma_ev_per_a2 * to_j if converged else None
        return {
            "gamma_relaxed_at_delta_mu_min_j_per_m2": edge,
            "gamma_relaxed_at_delta_mu_max_j_per_m2": edge,
        }
    lo, hi = line["delta_mu_min_ev"], line["delta_mu_max_ev"]
    g0, slope = line["gamma_at_zero_ev_per_a2"], line["slope_per_a2"]
    return {
        "gamma_relaxed_at_delta_mu_min_j_per_m2": (g0 + slope * lo) * to_j if converged else None,
        "gamma_relaxed_at_delta_mu_max_j_per_m2": (g0 + slope * hi) * to_j if converged else None,
        "delta_mu_window_ev": [lo, hi],
        "delta_mu_window_source": "elemental bounds" if window is None else window["source"],
        "delta_mu_window": window,
    }


def facet_label(miller: Sequence[int]) -> str:
    """Return the facet label of a Miller index, e.g. ``(111)``."""
    return "(" + "".join(str(int(i)) for i in miller) + ")"


#: Keys of one surface-energy row (per slab) in summaries, tables and database queries.
SURFACE_ROW_KEYS = (
    "material",
    "miller",
    "termination",
    "sqs_seed",
    "n_layers",
    "n_atoms",
    "method",
    "symmetric",
    "stoichiometric",
    "area_a2",
    "gamma_unrelaxed_j_per_m2",
    "gamma_relaxed_j_per_m2",
    "gamma_relaxed_ev_per_a2",
    "gamma_relaxed_min_j_per_m2",
    "gamma_relaxed_max_j_per_m2",
    "gamma_relaxed_at_delta_mu_min_j_per_m2",
    "gamma_relaxed_at_delta_mu_max_j_per_m2",
    "delta_mu_window_ev",
    "delta_mu_window_source",
    "converged",
)

TABLE_COLUMNS = (
    "material",
    "miller",
    "termination",
    "n_layers",
    "n_atoms",
    "method",
    "area_a2",
    "gamma_unrelaxed_j_per_m2",
    "gamma_relaxed_j_per_m2",
    "gamma_relaxed_ev_per_a2",
    "gamma_relaxed_min_j_per_m2",
    "gamma_relaxed_max_j_per_m2",
    "converged",
    "calculator",
)


def write_gamma_csv(rows: Sequence[Mapping[str, Any]], path: str | Path) -> Path:
    """Write surface-energy rows to CSV (one row per slab) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(TABLE_COLUMNS), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _fmt(row.get(k)) for k in TABLE_COLUMNS})
    return path


def _fmt(value: Any) -> Any:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list | tuple):
        return (
            "".join(str(v) for v in value) if all(isinstance(v, int) for v in value) else str(value)
        )
    return value


def _j_to_ev(values: Any) -> Any:
    return np.asarray(values, dtype=float) / EV_PER_A2_TO_J_PER_M2


def _ev_to_j(values: Any) -> Any:
    return np.asarray(values, dtype=float) * EV_PER_A2_TO_J_PER_M2


def surface_energies_figure(
    rows: Sequence[Mapping[str, Any]],
    *,
    key: str = "gamma_relaxed_j_per_m2",
    title: str | None = None,
) -> Figure:
    """Draw a Fig. 5a-style grouped bar chart of γ (J/m²) for materials × facets.

    Each bar is the lowest γ over terminations/samples of that material and facet; the
    error bar spans all terminations/samples (and, for non-stoichiometric slabs, the
    chemical-potential range).

    Parameters
    ----------
    rows
        Rows with ``material``, ``miller``, ``key`` and optionally
        ``gamma_relaxed_min_j_per_m2``/``gamma_relaxed_max_j_per_m2``.
    key
        Column plotted.
    title
        Figure title.

    Raises
    ------
    AnalysisError
        If no row has a finite value.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups: dict[str, dict[str, list[float]]] = {}
    for row in rows:
        val = row.get(key)
        if val is None or not math.isfinite(val):
            continue
        miller = row["miller"]
        facet = facet_label(miller)
        lo = row.get("gamma_relaxed_min_j_per_m2", val) if key.startswith("gamma_relaxed") else val
        hi = row.get("gamma_relaxed_max_j_per_m2", val) if key.startswith("gamma_relaxed") else val
        vals = groups.setdefault(row["material"], {}).setdefault(facet, [])
        vals.extend([val, lo if lo is not None else val, hi if hi is not None else val])
    if not groups:
        msg = f"no finite {key} values to plot"
        raise AnalysisError(msg)
    materials = list(groups)
    facets = sorted({f for g in groups.values() for f in g})
    width = 0.8 / len(facets)
    fig, ax = plt.subplots(figsize=(max(4.5, 1.8 + 1.5 * len(materials)), 3.8))
    for j, facet in enumerate(facets):
        xs: list[float] = []
        ys: list[float] = []
        err: list[list[float]] = [[], []]
        for i, mat in enumerate(materials):
            if facet not in groups[mat]:
                continue
            vals = groups[mat][facet]
            best = min(vals[0::3])
            xs.append(i + (j - (len(facets) - 1) / 2) * width)
            ys.append(best)
            err[0].append(best - min(vals))
            err[1].append(max(vals) - best)
        bars = ax.bar(xs, ys, width, yerr=err, capsize=3, label=facet)
        ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=2)
    ax.set_xticks(range(len(materials)), materials)
    ax.set_ylabel("surface energy γ (J/m²)")
    ax.set_title(
        title
        or "Surface energies\n(bar: lowest termination/sample; whiskers: all, incl. Δμ range)",
        fontsize=8,
    )
    sec = ax.secondary_yaxis(
        "right",
        functions=(_j_to_ev, _ev_to_j),
    )
    sec.set_ylabel("γ (eV/Å²)")
    ax.legend(title="facet", fontsize=8)
    ax.set_ylim(bottom=0)
    fig.tight_layout()
    return fig


def plot_surface_energies(
    rows: Sequence[Mapping[str, Any]],
    path: str | Path,
    *,
    key: str = "gamma_relaxed_j_per_m2",
    title: str | None = None,
) -> Path:
    """Write :func:`surface_energies_figure` to ``path`` (.png, .pdf or .svg); return ``path``."""
    return save_figure(surface_energies_figure(rows, key=key, title=title), path)
