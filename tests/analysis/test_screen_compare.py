"""The screen vs the measured overpotentials: Spearman rho and pairwise orderings (hand-made)."""

from __future__ import annotations

import math

from lithiophilic.analysis.screen_compare import (
    MEASURED_OVERPOTENTIAL_MV,
    compare_with_overpotentials,
    spearman_rho,
)
from lithiophilic.analysis.screen_rule import rank_skins


def test_measured_values_are_the_papers():
    assert MEASURED_OVERPOTENTIAL_MV == {"Cu": 93.6, "Cu5Zn8": 37.2, "Cu0.64Zn0.36": 33.2}


def test_spearman_rho():
    assert spearman_rho([1, 2, 3], [10, 20, 30]) == 1.0
    assert spearman_rho([1, 2, 3], [30, 20, 10]) == -1.0
    assert math.isclose(spearman_rho([1, 3, 2], [1, 2, 3]), 0.5)
    assert spearman_rho([1, 1, 1], [1, 2, 3]) is None


def test_right_order_wrong_order_and_sign_of_descriptors():
    # alloy most lithiophilic by adsorption (right order); dissolution has the wrong order
    ranking = rank_skins(
        {
            "Cu": {
                "adsorption_binding_energy_ev": 0.1,
                "first_layer_binding_energy_ev": 0.0,
                "skin_dissolution_energy_ev": -0.5,
            },
            "Cu5Zn8": {
                "adsorption_binding_energy_ev": 0.2,
                "first_layer_binding_energy_ev": 0.0,
                "skin_dissolution_energy_ev": 0.0,
            },
            "Cu0.64Zn0.36": {
                "adsorption_binding_energy_ev": 0.3,
                "first_layer_binding_energy_ev": 0.0,
                "skin_dissolution_energy_ev": 0.5,
            },
            "Ag": {"adsorption_binding_energy_ev": 9.0, "first_layer_binding_energy_ev": 0.0},
        }
    )
    cmp = compare_with_overpotentials([r.as_dict() for r in ranking.skins])
    ads = cmp["descriptors"]["adsorption_binding_energy_ev"]
    assert ads["spearman_rho"] == 1.0 and ads["orders_right"]
    assert ads["n_skins"] == 3  # Ag has no measurement
    sol = cmp["descriptors"]["skin_dissolution_energy_ev"]  # sign -1: lower = more lithiophilic
    assert sol["spearman_rho"] == -1.0
    assert all(p["verdict"] == "wrong" for p in sol["pairs"])
    first = cmp["descriptors"]["first_layer_binding_energy_ev"]
    assert all(p["verdict"] == "tie" for p in first["pairs"])
    assert cmp["descriptors"]["diffusion_barrier_ev"] is None
    assert cmp["score"]["n_skins"] == 3
    assert "3 points" in cmp["caveat"]


def test_fewer_than_two_measured_skins_gives_none():
    ranking = rank_skins(
        {"Ag": {"adsorption_binding_energy_ev": 1.0, "first_layer_binding_energy_ev": 0.0}}
    )
    assert compare_with_overpotentials([r.as_dict() for r in ranking.skins]) is None
