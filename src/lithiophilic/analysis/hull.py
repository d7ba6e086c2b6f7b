"""Convex hull of Li–skin compounds (Li–skin alloying descriptor, issue 20).

Formation energy of a compound Li_a X_b … from its relaxed energy and the elemental references
of the same calculator (bcc Li, X's relaxed ground state):

    ΔE_f = E(Li_a X_b) − a ε_Li − b ε_X,

reported per atom (``formation_energy_per_atom_ev``) and per Li atom
(``formation_energy_per_li_ev`` = ΔE_f / a); negative = the compound is more stable than the
separated metals (Li alloys with the skin). The hull is pymatgen's
:class:`~pymatgen.analysis.phase_diagram.PhaseDiagram` over the elements and every compound
given; ``e_above_hull_ev_per_atom`` = 0 on the hull. The alloying descriptor
(:func:`li_alloy_hull`) is the most negative formation energy per Li atom among the compounds
*on* the hull (within :data:`ON_HULL_TOL_EV_PER_ATOM`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lithiophilic.errors import AnalysisError

__all__ = ["HULL_DEFINITION", "ON_HULL_TOL_EV_PER_ATOM", "li_alloy_hull"]

#: A compound this close to the hull counts as on it, eV/atom.
ON_HULL_TOL_EV_PER_ATOM = 1e-3

HULL_DEFINITION = (
    "Li-skin alloying: dE_f = E(Li_a X_b) - a eps_Li(bcc) - b eps_X(X's relaxed ground state), "
    "per atom and per Li atom (eV; negative = Li alloys with the skin); convex hull: pymatgen "
    "PhaseDiagram over the elements and the compounds computed; descriptor "
    "li_alloy_formation_energy_per_li_ev = the most negative dE_f per Li atom among compounds "
    f"on the hull (e_above_hull <= {ON_HULL_TOL_EV_PER_ATOM} eV/atom); None when no compound "
    "is on it."
)


def li_alloy_hull(
    elemental_energy_per_atom_ev: Mapping[str, float],
    compounds: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """Return formation energies, hull distances and the alloying descriptor.

    Parameters
    ----------
    elemental_energy_per_atom_ev
        Element -> energy per atom of its relaxed reference (Li: bcc Li), eV/atom; must cover
        every element of ``compounds``.
    compounds
        Each with ``name``, ``composition`` (element -> atom count) and ``energy_ev`` (total
        energy of that composition, eV).

    Returns
    -------
    dict
        ``rows`` (per compound: name, formula, formation_energy_per_atom_ev,
        formation_energy_per_li_ev, e_above_hull_ev_per_atom, on_hull), ``best`` (name of the
        descriptor's compound or None) and ``li_alloy_formation_energy_per_li_ev``.

    Raises
    ------
    AnalysisError
        If a compound has no Li or an element without a reference.
    """
    from pymatgen.analysis.phase_diagram import PDEntry, PhaseDiagram
    from pymatgen.core import Composition

    entries = [
        PDEntry(Composition({el: 1}), float(e), name=el)
        for el, e in elemental_energy_per_atom_ev.items()
    ]
    rows: list[dict[str, Any]] = []
    for c in compounds:
        comp = {el: float(n) for el, n in c["composition"].items() if n}
        if comp.get("Li", 0.0) <= 0:
            msg = f"{c['name']}: a Li-skin compound must contain Li"
            raise AnalysisError(msg)
        lacking = sorted(set(comp) - set(elemental_energy_per_atom_ev))
        if lacking:
            msg = f"{c['name']}: no elemental reference for {', '.join(lacking)}"
            raise AnalysisError(msg)
        entry = PDEntry(Composition(comp), float(c["energy_ev"]), name=str(c["name"]))
        entries.append(entry)
        n_atoms = sum(comp.values())
        formation = float(c["energy_ev"]) - sum(
            n * float(elemental_energy_per_atom_ev[el]) for el, n in comp.items()
        )
        rows.append(
            {
                "name": str(c["name"]),
                "formula": Composition(comp).reduced_formula,
                "formation_energy_per_atom_ev": formation / n_atoms,
                "formation_energy_per_li_ev": formation / comp["Li"],
                "_entry": entry,
            }
        )
    diagram = PhaseDiagram(entries)
    for row in rows:
        entry = row.pop("_entry")
        row["e_above_hull_ev_per_atom"] = float(diagram.get_e_above_hull(entry))
        row["on_hull"] = row["e_above_hull_ev_per_atom"] <= ON_HULL_TOL_EV_PER_ATOM
    stable = [r for r in rows if r["on_hull"] and r["formation_energy_per_li_ev"] < 0]
    best = min(stable, key=lambda r: r["formation_energy_per_li_ev"]) if stable else None
    return {
        "rows": rows,
        "best": None if best is None else best["name"],
        "li_alloy_formation_energy_per_li_ev": None
        if best is None
        else best["formation_energy_per_li_ev"],
        "definition": HULL_DEFINITION,
    }
