"""Li incorporation formulas and the Li-skin compound hull (issue 20): arithmetic checks."""

from __future__ import annotations

import pytest

from lithiophilic.analysis.hull import li_alloy_hull
from lithiophilic.analysis.incorporation import (
    best_incorporated_sites,
    interstitial_energy_ev,
    substitution_energy_ev,
)
from lithiophilic.errors import AnalysisError


def test_incorporation_formulas_and_sign():
    # E_sub = E(defect) - E(host) - eps_Li + eps_X
    assert substitution_energy_ev(-100.0, -101.0, -1.9, -3.7) == pytest.approx(-0.8)
    assert interstitial_energy_ev(-102.5, -101.0, -1.9) == pytest.approx(0.4)


def test_hull_formation_energies_and_distance():
    refs = {"Li": -1.9, "Al": -3.7}
    compounds = [
        # LiAl: 2 Li + 2 Al, 0.2 eV/atom below the elements
        {"name": "LiAl", "composition": {"Li": 2, "Al": 2}, "energy_ev": 2 * -1.9 + 2 * -3.7 - 0.8},
        # Li3Al: above the Li-LiAl tie line
        {"name": "Li3Al", "composition": {"Li": 3, "Al": 1}, "energy_ev": 3 * -1.9 - 3.7 - 0.2},
    ]
    hull = li_alloy_hull(refs, compounds)
    rows = {r["name"]: r for r in hull["rows"]}
    assert rows["LiAl"]["formation_energy_per_atom_ev"] == pytest.approx(-0.2)
    assert rows["LiAl"]["formation_energy_per_li_ev"] == pytest.approx(-0.4)
    assert rows["LiAl"]["on_hull"] and rows["LiAl"]["e_above_hull_ev_per_atom"] == pytest.approx(0)
    # tie line Li-LiAl at x_Li = 0.75: -0.1 eV/atom; Li3Al has -0.05 -> 0.05 above
    assert rows["Li3Al"]["e_above_hull_ev_per_atom"] == pytest.approx(0.05)
    assert not rows["Li3Al"]["on_hull"]
    assert hull["best"] == "LiAl"
    assert hull["li_alloy_formation_energy_per_li_ev"] == pytest.approx(-0.4)


def test_hull_without_a_stable_compound_and_bad_entries():
    refs = {"Li": -1.9, "Cu": -4.1}
    above = [{"name": "LiCu", "composition": {"Li": 1, "Cu": 1}, "energy_ev": -1.9 - 4.1 + 0.3}]
    hull = li_alloy_hull(refs, above)
    assert hull["best"] is None and hull["li_alloy_formation_energy_per_li_ev"] is None
    with pytest.raises(AnalysisError, match="Li"):
        li_alloy_hull(refs, [{"name": "Cu", "composition": {"Cu": 1}, "energy_ev": -4.1}])
    with pytest.raises(AnalysisError, match="Zn"):
        li_alloy_hull(refs, [{"name": "LiZn", "composition": {"Li": 1, "Zn": 1}, "energy_ev": -3}])


def test_incorporated_5c_sites_split_by_depth():
    def row(label, eb, subsurface, height):
        return {
            "site_label": label,
            "converged": True,
            "binding_energy_bcc_ev": eb,
            "subsurface": subsurface,
            "neighbor_distance_ratios": [1.0] * 4,
            "local_height_a": height,
            "substrate_change_ev": 0.0,
            "moved": False,
        }

    summary = {
        "material": "X",
        "miller": [1, 1, 1],
        "rows": [
            row("hollow-0", 0.5, False, 1.5),  # adsorbed: not used
            row("pocket-0", 0.3, False, 0.2),  # incorporated in the outermost plane
            row("pocket-1", 0.6, False, 0.1),
            row("deep-0", 0.1, True, -1.5),  # went below the top plane
        ],
    }
    best = best_incorporated_sites([summary])
    assert best["surface"]["site_label"] == "pocket-1"
    assert best["surface"]["interstitial_energy_ev"] == pytest.approx(-0.6)
    assert best["subsurface"]["interstitial_energy_ev"] == pytest.approx(-0.1)
    assert best_incorporated_sites([]) == {"surface": None, "subsurface": None}
