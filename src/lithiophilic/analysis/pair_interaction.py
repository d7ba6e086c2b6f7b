"""Site-resolved Li–Li interaction energies on a surface: one definition for the screen and 5f/g.

The energies are those of one slab in one supercell, each configuration relaxed (or static)
with the same calculator:

- E(0): the clean slab;
- E(i): one Li on site i;
- E(ij): one Li on site i and one on site j;
- E(ijk): three Li.

Pair interaction (issues 19 item 4 and 20):

    E_int(ij) = E(ij) − E(i) − E(j) + E(0)       (eV per pair)

negative = the two Li attract (clustering), positive = they repel (stay dispersed). The site
energies E(i) − E(0) and E(j) − E(0) are subtracted exactly, so on a random alloy, where two
sites differ, "pair − apart" no longer mixes the sites' own energies into the pair energy.

Cluster interactions (trimers and larger) follow the same inclusion–exclusion:

- total interaction of a cluster S: E_int(S) = E(S) − Σ_{i∈S} [E(i) − E(0)] − E(0), the energy
  of the cluster relative to its Li on the same sites in isolation (for a pair: E_int(ij));
- irreducible |S|-body term: V(S) = Σ_{T⊆S} (−1)^{|S|−|T|} E(T) (for a pair: E_int(ij); for a
  trimer: E(ijk) − E(ij) − E(ik) − E(jk) + E(i) + E(j) + E(k) − E(0)).

Energies are keyed by the set of occupied site labels; the empty set is the clean slab.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from itertools import combinations

from lithiophilic.errors import ConfigurationError

__all__ = [
    "PAIR_INTERACTION_DEFINITION",
    "EnergyTable",
    "cluster_interaction_energy_ev",
    "energy_table",
    "many_body_term_ev",
    "pair_interaction_energy_ev",
]

#: The definition printed with every pair interaction.
PAIR_INTERACTION_DEFINITION = (
    "E_int(ij) = E(ij) - E(i) - E(j) + E(0), eV per pair: E(0) clean slab, E(i)/E(j) one Li on "
    "site i/j, E(ij) both, same supercell and calculator; negative = the Li attract "
    "(clustering), positive = they repel. Cluster S: E_int(S) = E(S) - sum_i [E(i) - E(0)] - "
    "E(0); irreducible term V(S) = sum over subsets T of S of (-1)^(|S|-|T|) E(T)."
)

#: Occupied site labels -> energy (eV); ``frozenset()`` is the clean slab.
EnergyTable = Mapping[frozenset[str], float]


def pair_interaction_energy_ev(
    pair_energy_ev: float, site_i_energy_ev: float, site_j_energy_ev: float, clean_energy_ev: float
) -> float:
    """Return E_int(ij) = E(ij) − E(i) − E(j) + E(0), eV (negative = attraction).

    Raises
    ------
    ConfigurationError
        If an energy is not finite (a failed calculation is never used).
    """
    values = (pair_energy_ev, site_i_energy_ev, site_j_energy_ev, clean_energy_ev)
    names = ("pair_energy_ev", "site_i_energy_ev", "site_j_energy_ev", "clean_energy_ev")
    for name, value in zip(names, values, strict=True):
        if value is None or not math.isfinite(float(value)):
            msg = f"{name}: {value!r} is not a finite energy"
            raise ConfigurationError(msg)
    return (
        float(pair_energy_ev)
        - float(site_i_energy_ev)
        - float(site_j_energy_ev)
        + float(clean_energy_ev)
    )


def energy_table(entries: Iterable[tuple[Iterable[str], float]]) -> dict[frozenset[str], float]:
    """Return an :data:`EnergyTable` from ``(occupied site labels, energy_ev)`` pairs.

    Raises
    ------
    ConfigurationError
        If one occupation is given twice or an energy is not finite.
    """
    table: dict[frozenset[str], float] = {}
    for sites, energy in entries:
        key = frozenset(sites)
        if key in table:
            msg = f"energies: the occupation {sorted(key)} is given twice"
            raise ConfigurationError(msg)
        if energy is None or not math.isfinite(float(energy)):
            msg = f"energies: {sorted(key)} has no finite energy ({energy!r})"
            raise ConfigurationError(msg)
        table[key] = float(energy)
    return table


def _energy(table: EnergyTable, sites: frozenset[str]) -> float:
    try:
        return float(table[sites])
    except KeyError:
        what = "the clean slab" if not sites else f"Li on {sorted(sites)}"
        msg = f"energies: no energy of {what}, which this interaction needs"
        raise ConfigurationError(msg) from None


def cluster_interaction_energy_ev(table: EnergyTable, sites: Iterable[str]) -> float:
    """Return E_int(S) = E(S) − Σ_i [E(i) − E(0)] − E(0), eV (S = ``sites``; a pair: E_int(ij)).

    Raises
    ------
    ConfigurationError
        If fewer than two sites are given or an energy the formula needs is missing.
    """
    cluster = frozenset(sites)
    if len(cluster) < 2:
        msg = f"sites: a cluster needs at least two distinct sites, got {sorted(cluster)}"
        raise ConfigurationError(msg)
    clean = _energy(table, frozenset())
    singles = sum(_energy(table, frozenset([s])) - clean for s in cluster)
    return _energy(table, cluster) - singles - clean


def many_body_term_ev(table: EnergyTable, sites: Iterable[str]) -> float:
    """Return the irreducible term V(S) = Σ_{T⊆S} (−1)^{|S|−|T|} E(T), eV.

    For two sites it equals :func:`pair_interaction_energy_ev`; for three, the three-body term
    E(ijk) − E(ij) − E(ik) − E(jk) + E(i) + E(j) + E(k) − E(0).

    Raises
    ------
    ConfigurationError
        If fewer than two sites are given or a sub-cluster energy is missing.
    """
    cluster = sorted(frozenset(sites))
    if len(cluster) < 2:
        msg = f"sites: a cluster needs at least two distinct sites, got {cluster}"
        raise ConfigurationError(msg)
    n = len(cluster)
    total = 0.0
    for size in range(n + 1):
        sign = -1.0 if (n - size) % 2 else 1.0
        for subset in combinations(cluster, size):
            total += sign * _energy(table, frozenset(subset))
    return total
