"""Li incorporation energies of a skin (issue 20): formulas and the 5c incorporated sites.

All energies are vs bcc Li with the calculator's own references; negative = Li prefers to
enter the skin (:data:`INCORPORATION_DEFINITION`):

* substitutional: E_sub = E(host with one X replaced by Li) − E(host) − ε_Li(bcc) + ε_X, the
  removed skin atom X going to its own relaxed elemental bulk (ε_X per atom);
* interstitial: E_int = E(host + Li) − E(host) − ε_Li(bcc).

The host is the relaxed slab supercell of the single-Li (5c) flows (outermost plane = plane 1,
subsurface = plane 2) or the relaxed bulk supercell (dilute Li).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lithiophilic.analysis.li_outcome import OutcomeSettings, classify_site_row

__all__ = [
    "INCORPORATION_DEFINITION",
    "best_incorporated_sites",
    "interstitial_energy_ev",
    "substitution_energy_ev",
]

INCORPORATION_DEFINITION = (
    "Li incorporation vs bcc Li, eV per Li (negative = Li prefers to enter the skin): "
    "substitutional E_sub = E(host, one X -> Li) - E(host) - eps_Li(bcc) + eps_X(X's relaxed "
    "elemental bulk); interstitial E_int = E(host + Li) - E(host) - eps_Li(bcc). Host: the "
    "relaxed 5c slab supercell (outermost plane 1 / subsurface plane 2, best of each over "
    "elements and starts; interstitials from the 5c sites classified 'incorporated' and an "
    "explicit start between planes 1 and 2) or the relaxed bulk supercell (>= 8 A wide, "
    "dilute Li). A Li that leaves the plane it started in, or an unconverged relaxation, is "
    "reported and not used."
)


def substitution_energy_ev(
    defect_energy_ev: float,
    host_energy_ev: float,
    li_energy_per_atom_ev: float,
    element_energy_per_atom_ev: float,
) -> float:
    """Return E_sub = E(defect) − E(host) − ε_Li + ε_X, eV (negative: Li substitutes X)."""
    return (
        float(defect_energy_ev)
        - float(host_energy_ev)
        - float(li_energy_per_atom_ev)
        + float(element_energy_per_atom_ev)
    )


def interstitial_energy_ev(
    defect_energy_ev: float, host_energy_ev: float, li_energy_per_atom_ev: float
) -> float:
    """Return E_int = E(host + Li) − E(host) − ε_Li, eV (negative: Li enters)."""
    return float(defect_energy_ev) - float(host_energy_ev) - float(li_energy_per_atom_ev)


def best_incorporated_sites(
    summaries: Sequence[Mapping[str, Any]], settings: OutcomeSettings | None = None
) -> dict[str, dict[str, Any] | None]:
    """Return the strongest 5c site classified 'incorporated', in the outermost plane and below.

    A converged single-Li relaxation classified ``incorporated`` (:mod:`li_outcome`) is a Li
    interstitial: ``subsurface`` (the Li went below the top plane) or else in the outermost
    plane (sunk into a pocket, over-coordinated). Reconstructed sites are not used (their
    energy contains the reconstruction).

    Returns
    -------
    dict
        ``{"surface": row | None, "subsurface": row | None}``, each row with
        ``interstitial_energy_ev`` = −``binding_energy_bcc_ev`` of the 5c row, eV, plus
        ``material``, ``miller``, ``site_label``.
    """
    best: dict[str, dict[str, Any] | None] = {"surface": None, "subsurface": None}
    for summary in summaries:
        stored = summary.get("outcome_settings")
        fields = OutcomeSettings.__dataclass_fields__
        use = settings or (
            OutcomeSettings(**{k: v for k, v in stored.items() if k in fields}) if stored else None
        )
        for row in summary.get("rows") or []:
            if classify_site_row(row, use) != "incorporated":
                continue
            where = "subsurface" if row.get("subsurface") else "surface"
            energy = -float(row["binding_energy_bcc_ev"])
            if best[where] is None or energy < best[where]["interstitial_energy_ev"]:
                best[where] = {
                    "material": summary.get("material"),
                    "miller": summary.get("miller"),
                    "site_label": row.get("site_label"),
                    "interstitial_energy_ev": energy,
                }
    return best
