"""Where a relaxed single Li ended up: adsorbed, incorporated into the skin, or reconstructing it.

A single-Li relaxation is compared with adsorption on other surfaces only if the Li stayed
*on* the surface and the surface stayed what it was. Three numbers decide, all measured on the
relaxed geometry (:func:`~lithiophilic.structures.site_geometry.adsorbate_environment`) and
on one extra relaxation:

* the Li coordination number ``CN``: substrate atoms closer than ``radius_factor`` × (r_Li +
  r_X), covalent radii of ASE (Li 1.28, Cu 1.32, Zn 1.22 Å; 1.2 × gives 3.12 Å for Li–Cu,
  3.00 Å for Li–Zn);
* the height of the Li above the *local* surface (the highest substrate atom within 3.5 Å
  laterally);
* the substrate change ``ΔE_substrate = E(slab re-relaxed with the Li removed) − E(clean
  slab)``: strongly negative means the Li led the slab into a lower-energy structure.

Outcome classes (:func:`classify_li_outcome`), checked in this order:

* ``reconstructed``: ΔE_substrate < −``reconstruction_threshold_ev`` (the site rearranged the
  surface; E_b against the clean slab then contains the reconstruction energy);
* ``incorporated``: ``subsurface`` (below the local surface by more than ``min_local_height_a``
  is impossible to miss; any local height < ``min_local_height_a``) or ``over-coordinated``
  (CN > ``max_adsorbed_cn``; an adatom on an fcc facet has at most 4 + 1: a four-fold hollow
  and the atom below it);
* ``adsorbed``: everything else, ``on-site`` or ``moved`` (to another site).

Fig. 5c compares adsorbed sites only; incorporation and reconstruction are reported on their
own (Li entering the skin is itself a lithiophilicity signal). The thresholds are knobs of the
method: :data:`OUTCOME_GRID` spans the range over which a verdict must hold.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

__all__ = [
    "CHOICE_MAX_EDGE",
    "CHOICE_MIN_EDGE",
    "OUTCOMES",
    "OUTCOME_DEFINITION",
    "OUTCOME_GRID",
    "Outcome",
    "OutcomeSettings",
    "classify_li_outcome",
    "classify_site_row",
    "coordination_number",
    "facet_binding",
    "outcome_settings_grid",
    "strongest_site",
]

Outcome = Literal["adsorbed", "incorporated", "reconstructed"]
#: The outcome classes, in the order tables list them.
OUTCOMES: tuple[str, ...] = ("adsorbed", "incorporated", "reconstructed")

#: ``termination_choice`` of the termination lowest in γ at the Δμ-min edge (Cu-rich for Cu–Zn).
CHOICE_MIN_EDGE = "lowest gamma at the delta-mu-min edge (Cu-rich for Cu-Zn: a skin on Cu)"
#: ``termination_choice`` of a second termination, lowest at the Δμ-max edge.
CHOICE_MAX_EDGE = (
    "lowest gamma at the delta-mu-max edge (the lowest-gamma termination changes across the window)"
)

OUTCOME_DEFINITION = (
    "outcome of a single-Li relaxation: CN = substrate atoms within radius_factor*(r_Li + r_X) "
    "(ASE covalent radii); local height = z_Li - highest substrate z within 3.5 A laterally; "
    "dE_substrate = E(slab re-relaxed with the Li removed) - E(clean slab). reconstructed if "
    "dE_substrate < -reconstruction_threshold_ev; else incorporated if local height < "
    "min_local_height_a (subsurface) or CN > max_adsorbed_cn (over-coordinated); else adsorbed "
    "(on-site or moved). 5c compares adsorbed sites only."
)


@dataclass(frozen=True)
class OutcomeSettings:
    """Thresholds of the outcome classifier (module docstring).

    Parameters
    ----------
    radius_factor
        Neighbours within this multiple of the sum of covalent radii count for CN.
    max_adsorbed_cn
        Largest CN of an adsorbed Li (4-fold hollow + the atom below).
    min_local_height_a
        Smallest height above the local surface of an adsorbed Li, Å.
    reconstruction_threshold_ev
        The slab re-relaxed without the Li lying this much below the clean slab means the
        site reconstructed the surface, eV.
    """

    radius_factor: float = 1.2
    max_adsorbed_cn: int = 5
    min_local_height_a: float = 0.5
    reconstruction_threshold_ev: float = 0.05

    def as_dict(self) -> dict[str, Any]:
        """Return the settings as a plain dict."""
        return asdict(self)


#: The range over which a 5c verdict must hold (each combination of these values).
OUTCOME_GRID: dict[str, tuple[float, ...]] = {
    "radius_factor": (1.1, 1.2, 1.3),
    "min_local_height_a": (0.25, 0.5, 0.75),
    "reconstruction_threshold_ev": (0.02, 0.05, 0.1),
}


def outcome_settings_grid(
    base: OutcomeSettings | None = None, grid: Mapping[str, Sequence[float]] | None = None
) -> list[OutcomeSettings]:
    """Return every combination of ``grid`` (default :data:`OUTCOME_GRID`) applied to ``base``."""
    base = base or OutcomeSettings()
    grid = OUTCOME_GRID if grid is None else grid
    names = list(grid)
    return [
        replace(base, **dict(zip(names, values, strict=True)))
        for values in itertools.product(*(grid[n] for n in names))
    ]


def coordination_number(neighbor_distance_ratios: Sequence[float], radius_factor: float) -> int:
    """Return the number of neighbours with distance / (r_Li + r_X) <= ``radius_factor``."""
    return sum(1 for r in neighbor_distance_ratios if r <= radius_factor + 1e-12)


def classify_li_outcome(
    neighbor_distance_ratios: Sequence[float],
    local_height_a: float,
    substrate_change_ev: float | None,
    *,
    moved: bool,
    settings: OutcomeSettings | None = None,
) -> dict[str, Any]:
    """Classify one relaxed single-Li configuration (module docstring).

    Parameters
    ----------
    neighbor_distance_ratios
        Li–substrate distances over the sum of covalent radii.
    local_height_a
        Li height above the local surface, Å.
    substrate_change_ev
        E(slab re-relaxed without the Li) − E(clean slab), eV; ``None``: not computed (then
        ``reconstructed`` cannot be decided and is not reported).
    moved
        The Li relaxed to another site than the one it started on.
    settings
        Thresholds (default :class:`OutcomeSettings`).

    Returns
    -------
    dict
        ``outcome`` (:data:`OUTCOMES`), ``outcome_detail`` (``on-site``, ``moved``,
        ``subsurface``, ``over-coordinated``, ``substrate-rearranged``) and
        ``coordination_number``.
    """
    s = settings or OutcomeSettings()
    cn = coordination_number(neighbor_distance_ratios, s.radius_factor)
    if (
        substrate_change_ev is not None
        and math.isfinite(substrate_change_ev)
        and substrate_change_ev < -s.reconstruction_threshold_ev
    ):
        outcome, detail = "reconstructed", "substrate-rearranged"
    elif local_height_a < s.min_local_height_a:
        outcome, detail = "incorporated", "subsurface"
    elif cn > s.max_adsorbed_cn:
        outcome, detail = "incorporated", "over-coordinated"
    else:
        outcome, detail = "adsorbed", "moved" if moved else "on-site"
    return {"outcome": outcome, "outcome_detail": detail, "coordination_number": cn}


def classify_site_row(
    row: Mapping[str, Any], settings: OutcomeSettings | None = None
) -> str | None:
    """Return the outcome of a stored site row under ``settings`` (None: unconverged).

    Rows stored before outcome classes existed (no ``neighbor_distance_ratios``) are
    ``adsorbed`` unless their Li went below the top layer (``subsurface``): the only test
    they had.
    """
    if not row.get("converged", True):
        return None
    ratios = row.get("neighbor_distance_ratios")
    if ratios is None or row.get("local_height_a") is None:
        return "incorporated" if row.get("subsurface") else "adsorbed"
    return classify_li_outcome(
        ratios,
        float(row["local_height_a"]),
        row.get("substrate_change_ev"),
        moved=bool(row.get("moved")),
        settings=settings,
    )["outcome"]


def strongest_site(
    rows: Sequence[Mapping[str, Any]],
    settings: OutcomeSettings | None = None,
    *,
    outcomes: Sequence[str] = ("adsorbed",),
    key: str = "binding_energy_bcc_ev",
) -> Mapping[str, Any] | None:
    """Return the row with the largest ``key`` among rows classified into ``outcomes``.

    Ties are broken by the site label, so the choice never depends on row order.
    """
    chosen = [r for r in rows if classify_site_row(r, settings) in outcomes]
    if not chosen:
        return None
    return max(chosen, key=lambda r: (float(r[key]), str(r.get("site_label", ""))))


def facet_binding(
    summaries: Sequence[Mapping[str, Any]],
    settings: OutcomeSettings | None = None,
    *,
    outcomes: Sequence[str] = ("adsorbed",),
    secondary: bool = False,
) -> dict[tuple[str, tuple[int, ...]], dict[str, Any]]:
    """Return the strongest E_b vs bcc Li per material and facet, over its slabs (SQS samples).

    Per slab (one summary) the strongest site classified into ``outcomes`` under ``settings``
    is taken (:func:`strongest_site`; a summary without per-site outcome data gives its stored
    strongest site); per material and facet the mean over slabs is the value and half the
    range its uncertainty. ``secondary=False`` uses the slabs the verdict rests on (not a
    second termination lowest only at the Δμ-max edge); ``True`` uses those second terminations
    instead of their primary.

    Returns
    -------
    dict
        (material, miller) -> ``binding_energy_bcc_ev`` (mean, eV), ``half_range_ev``,
        ``values_ev`` (per slab), ``site_labels``, ``n_slabs``.
    """
    chosen: dict[tuple[str, tuple[int, ...]], list[Mapping[str, Any]]] = {}
    for s in summaries:
        key = (str(s["material"]), tuple(int(i) for i in s["miller"]))
        chosen.setdefault(key, []).append(s)
    out: dict[tuple[str, tuple[int, ...]], dict[str, Any]] = {}
    for key, group in chosen.items():
        extra = [s for s in group if s.get("termination_choice") == CHOICE_MAX_EDGE]
        base = [s for s in group if s.get("termination_choice") != CHOICE_MAX_EDGE]
        use = extra if secondary and extra else base
        values, labels = [], []
        for s in use:
            rows = s.get("rows") or []
            if rows and any("neighbor_distance_ratios" in r for r in rows):
                best = strongest_site(rows, settings, outcomes=outcomes)
                if best is None:
                    continue
                values.append(float(best["binding_energy_bcc_ev"]))
                labels.append(str(best["site_label"]))
            elif "adsorbed" in outcomes:
                values.append(float(s["binding_energy_bcc_ev"]))
                labels.append(str(s.get("lowest_site_label")))
        if values:
            out[key] = {
                "binding_energy_bcc_ev": sum(values) / len(values),
                "half_range_ev": (max(values) - min(values)) / 2.0,
                "values_ev": values,
                "site_labels": labels,
                "n_slabs": len(values),
            }
    return out
