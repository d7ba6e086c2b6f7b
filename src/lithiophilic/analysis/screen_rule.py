"""The lithiophilicity ranking rule of the skin screen, fixed before any comparison with experiment.

This module is the rule, stated in advance (issue 20, item 3): which descriptors enter the
score, with which sign and weight and why, what happens when a descriptor is missing, and how
ties are reported. It is versioned (:data:`RULE_VERSION`); a change of the rule is a new
version, and the git history shows the rule was committed before the first comparison with the
measured Li nucleation overpotentials (Cu 93.6, Cu@Cu5Zn8 37.2, Cu@Cu0.64Zn0.36 33.2 mV at
0.1 mA cm⁻²) was computed.

Descriptors (all from one calculator; energies per Li atom unless stated)
-------------------------------------------------------------------------
``adsorption_binding_energy_ev``
    E_b = −[E(slab+Li) − E(slab) − ε_Li(bcc)] of the strongest *adsorbed* site (5c outcome
    classes: incorporated / reconstructed sites excluded), eV; larger = Li binds more strongly
    to the skin than to its own metal.
``first_layer_binding_energy_ev``
    E_b(1) = −[E(1) − E(0) − N_layer ε_Li(bcc)]/N_layer of a first Li monolayer (bcc110 film,
    the 5d machinery), eV/Li; > 0: underpotential deposition of the first layer.
``skin_dissolution_energy_ev``
    E_sol(X) = E(Li_{N−1}X) − E(Li_N) + ε_Li(bcc) − ε_X(elemental ground-state bulk), eV per
    skin atom, composition-weighted over the skin's elements; negative = the skin's atoms
    dissolve into Li (mutual solubility, alloying driving force).
``li_incorporation_energy_ev``
    Energy of Li entering the skin (best of outermost layer / subsurface / bulk) vs bcc Li, eV;
    negative = Li prefers to enter the skin. Reported, weight 0 in version 1 (see below).
``pair_interaction_energy_ev``
    E_int(ij) = E(ij) − E(i) − E(j) + E(0) of two Li on nearest-neighbour adsorbed sites
    (:mod:`lithiophilic.analysis.pair_interaction`), eV per pair; negative = Li attract
    (clustering), positive = Li repel (stay dispersed).
``adhesion_energy_j_per_m2``
    W_adh of a bcc Li(110) film on the skin, J/m²; larger = better wetting. Weight 0 in v1.
``diffusion_barrier_ev``
    Li adatom barrier between the two lowest adsorbed sites (NEB), eV. Weight 0 in v1.

Score (version 1)
-----------------
score_ev = Σ_k w_k · s_k · d_k over the descriptors with w_k > 0 (:data:`RULE`), in eV:

- ``adsorption_binding_energy_ev``: s = +1, w = 1. Heterogeneous nucleation: a substrate that
  holds a Li atom more strongly than bulk Li does lowers the work of forming the first nucleus.
- ``first_layer_binding_energy_ev``: s = +1, w = 1. A first layer bound more strongly than bulk
  Li (UPD) means a Li deposit wets the skin instead of forming 3D islands.
- ``skin_dissolution_energy_ev``: s = −1, w = 0.5. Skins whose atoms dissolve into Li (Ag, Zn,
  Mg, Au …) are the "alloying" lithiophilic skins of the literature; half weight because the
  energy is per skin atom and acts on the interface, not on the Li nucleus directly.
- ``pair_interaction_energy_ev``: s = +1, w = 0.5. Repelling Li adatoms stay dispersed (the
  paper's Fig. 5f/g argument); half weight: a per-pair, second-order energy.
- ``li_incorporation_energy_ev``, ``adhesion_energy_j_per_m2``, ``diffusion_barrier_ev``:
  w = 0 (reported beside the score, not in it). Incorporation consumes Li into the skin, whose
  effect on the nucleation overpotential has no agreed sign; W_adh is in J/m² (not commensurate
  with the per-Li energies) and would double-count the first-layer binding; a low diffusion
  barrier both spreads Li and lets it aggregate, so its sign is not established.

Missing descriptors (never a silent zero)
-----------------------------------------
- A *required* descriptor (``adsorption_binding_energy_ev``, ``first_layer_binding_energy_ev``)
  missing for a skin (failed job, or every Li incorporated so there is no adsorbed site): that
  skin gets ``score = None`` and ``rank = None`` ("unranked"), with the reason; it is listed
  after the ranked skins.
- An *optional* descriptor with w > 0 missing for any skin of the run: it is dropped from the
  score of *every* skin of that run (so all scores are sums over the same descriptors) and
  named in :attr:`Ranking.dropped`.
- Weight-0 descriptors never affect the score; missing ones are shown as missing.

Ties
----
Skins are sorted by score, highest first (rank 1 = most lithiophilic among the skins of that
run). Consecutive skins whose scores differ by less than :data:`TIE_TOLERANCE_EV` (0.01 eV,
below the precision of an MLIP energy difference) are chained into one tie group and share the
best rank of the group (competition ranking: 1, 1, 3); :attr:`SkinRank.tied_with` names them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "RULE",
    "RULE_TEXT",
    "RULE_VERSION",
    "TIE_TOLERANCE_EV",
    "DescriptorRule",
    "Ranking",
    "SkinRank",
    "rank_skins",
]

#: Version of the rule; stored beside every score and rank.
RULE_VERSION = "screen-rule-1"

#: Scores closer than this are ties, eV.
TIE_TOLERANCE_EV = 0.01


@dataclass(frozen=True)
class DescriptorRule:
    """How one descriptor enters the score: sign, weight, unit, whether it is required, why."""

    name: str
    sign: Literal[-1, 1]
    weight: float
    unit: str
    required: bool
    why: str


#: The rule of :data:`RULE_VERSION` (see the module docstring).
RULE: tuple[DescriptorRule, ...] = (
    DescriptorRule(
        "adsorption_binding_energy_ev",
        1,
        1.0,
        "eV",
        True,
        "stronger Li-skin binding than Li-Li lowers the nucleation work",
    ),
    DescriptorRule(
        "first_layer_binding_energy_ev",
        1,
        1.0,
        "eV/Li",
        True,
        "a first Li layer bound beyond bulk Li (UPD) wets the skin",
    ),
    DescriptorRule(
        "skin_dissolution_energy_ev",
        -1,
        0.5,
        "eV/skin atom",
        False,
        "skin atoms dissolving into Li (alloying skins); per skin atom, half weight",
    ),
    DescriptorRule(
        "pair_interaction_energy_ev",
        1,
        0.5,
        "eV/pair",
        False,
        "repelling Li adatoms stay dispersed; second-order, half weight",
    ),
    DescriptorRule(
        "li_incorporation_energy_ev",
        -1,
        0.0,
        "eV",
        False,
        "reported only: the sign of its effect on nucleation is not established",
    ),
    DescriptorRule(
        "adhesion_energy_j_per_m2",
        1,
        0.0,
        "J/m2",
        False,
        "reported only: J/m2, and it overlaps with the first-layer binding",
    ),
    DescriptorRule(
        "diffusion_barrier_ev",
        -1,
        0.0,
        "eV",
        False,
        "reported only: fast diffusion both spreads and aggregates Li",
    ),
)

#: One line per descriptor of the rule, for reports.
RULE_TEXT = (
    f"{RULE_VERSION}: score_ev = "
    + " + ".join(
        f"{r.weight:g}·({'+' if r.sign > 0 else '−'}{r.name})" for r in RULE if r.weight > 0
    )
    + (
        "; required: "
        + ", ".join(r.name for r in RULE if r.required)
        + " (missing: unranked); an optional descriptor missing for any skin is dropped for all; "
        f"ties: scores within {TIE_TOLERANCE_EV} eV share a rank; rank 1 = most lithiophilic."
    )
)


@dataclass
class SkinRank:
    """One skin's score and rank under the rule."""

    skin: str
    score_ev: float | None
    rank: int | None
    descriptors: dict[str, float | None]
    contributions_ev: dict[str, float] = field(default_factory=dict)
    unranked_reason: str | None = None
    tied_with: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """Return a JSON-ready dict (``score``, ``rank`` and ``rule_version`` included)."""
        return {
            "skin": self.skin,
            "score": self.score_ev,
            "score_ev": self.score_ev,
            "rank": self.rank,
            "rule_version": RULE_VERSION,
            "descriptors": dict(self.descriptors),
            "contributions_ev": dict(self.contributions_ev),
            "unranked_reason": self.unranked_reason,
            "tied_with": list(self.tied_with),
        }


@dataclass
class Ranking:
    """The ranked skins of one run, the descriptors used and those dropped (and why)."""

    skins: list[SkinRank]
    used: list[str]
    dropped: dict[str, str]
    rule_version: str = RULE_VERSION


def _value(descriptors: Mapping[str, float | None], name: str) -> float | None:
    value = descriptors.get(name)
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def rank_skins(
    descriptors: Mapping[str, Mapping[str, float | None]],
    *,
    reasons: Mapping[str, Mapping[str, str]] | None = None,
) -> Ranking:
    """Score and rank skins with the rule of :data:`RULE_VERSION`.

    Parameters
    ----------
    descriptors
        Skin label -> descriptor name -> value (units of :data:`RULE`); a missing key, ``None``
        or NaN is a missing descriptor (never read as zero).
    reasons
        Skin label -> descriptor name -> why it is missing (e.g. "every Li incorporated"),
        carried into :attr:`SkinRank.unranked_reason` and :attr:`Ranking.dropped`.

    Returns
    -------
    Ranking
        Ranked skins first (highest score first, ties sharing a rank), then unranked skins.
    """
    reasons = reasons or {}
    scored = [r for r in RULE if r.weight > 0]
    dropped: dict[str, str] = {}
    for rule in scored:
        if rule.required:
            continue
        lacking = [s for s, d in descriptors.items() if _value(d, rule.name) is None]
        if lacking:
            why = "; ".join(
                f"{s}: {reasons.get(s, {}).get(rule.name, 'not computed')}" for s in lacking
            )
            dropped[rule.name] = f"missing for {why}"
    used = [r for r in scored if r.name not in dropped]
    ranks: list[SkinRank] = []
    for skin, values in descriptors.items():
        shown = {r.name: _value(values, r.name) for r in RULE}
        lacking = [r.name for r in used if r.required and shown[r.name] is None]
        if lacking:
            why = "; ".join(
                f"{n} missing ({reasons.get(skin, {}).get(n, 'not computed')})" for n in lacking
            )
            ranks.append(SkinRank(skin, None, None, shown, unranked_reason=why))
            continue
        parts = {r.name: r.weight * r.sign * float(shown[r.name]) for r in used}  # type: ignore[arg-type]
        ranks.append(SkinRank(skin, sum(parts.values()), None, shown, parts))
    _assign_ranks([r for r in ranks if r.score_ev is not None])
    ranks.sort(key=lambda r: (r.rank is None, r.rank or 0, -(r.score_ev or 0.0), r.skin))
    return Ranking(ranks, [r.name for r in used], dropped)


def _assign_ranks(ranked: Sequence[SkinRank]) -> None:
    """Competition ranks, highest score first; chains closer than the tolerance share a rank."""
    order = sorted(ranked, key=lambda r: -float(r.score_ev))  # type: ignore[arg-type]
    groups: list[list[SkinRank]] = []
    for r in order:
        if groups and float(groups[-1][-1].score_ev) - float(r.score_ev) < TIE_TOLERANCE_EV:  # type: ignore[arg-type]
            groups[-1].append(r)
        else:
            groups.append([r])
    position = 1
    for group in groups:
        for r in group:
            r.rank = position
            r.tied_with = [o.skin for o in group if o is not r]
        position += len(group)
