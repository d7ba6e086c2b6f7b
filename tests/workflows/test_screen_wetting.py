"""Wetting descriptor (issue 20): adhesion of a bcc Li(110) film on a skin, contact angle."""

from __future__ import annotations

import math

import pytest

from lithiophilic.analysis.wetting import (
    adhesion_energy_ev_per_a2,
    contact_angle,
    film_strain_energy_ev,
    li_surface_energy_ev_per_a2,
    to_j_per_m2,
)
from lithiophilic.errors import AnalysisError, ConfigurationError


def test_adhesion_sign_and_units():
    # separated (skin + film) above the interface by 1 eV over 10 A2: W_adh = +0.1 eV/A2
    w = adhesion_energy_ev_per_a2(-100.0, -20.0, -121.0, 10.0)
    assert w == pytest.approx(0.1)
    assert to_j_per_m2(w) == pytest.approx(1.6021766, rel=1e-6)  # ASE CODATA e
    with pytest.raises(AnalysisError, match="area_a2"):
        adhesion_energy_ev_per_a2(0.0, 0.0, 0.0, 0.0)


def test_strain_energy_and_gamma():
    # 12 strained Li vs a 4-atom unstrained film of the same layers: scaled by 3
    assert film_strain_energy_ev(-22.5, 12, -8.0, 4) == pytest.approx(1.5)
    assert li_surface_energy_ev_per_a2(-15.0, 8, -2.0, 10.0) == pytest.approx(0.05)
    with pytest.raises(AnalysisError):
        film_strain_energy_ev(-1.0, 0, -1.0, 1)


@pytest.mark.parametrize(
    ("w", "regime", "theta"),
    [
        (0.05, "partial wetting", 90.0),  # W_adh = gamma: cos = 0
        (0.10, "complete wetting", 0.0),  # W_adh = 2 gamma: cos = 1
        (0.15, "complete wetting", 0.0),  # cos > 1 clamped, raw kept
        (0.0, "non-wetting", 180.0),
        (-0.01, "non-wetting", 180.0),
    ],
)
def test_contact_angle_young_dupre_and_clamp(w, regime, theta):
    cos_raw, angle, got = contact_angle(w, 0.05)
    assert cos_raw == pytest.approx(w / 0.05 - 1.0)
    assert angle == pytest.approx(theta) and got == regime
    with pytest.raises(AnalysisError, match="gamma_li"):
        contact_angle(w, 0.0)


def _layer_maker(**overrides):
    from lithiophilic.studies import li_layers, li_sites

    sites = li_sites.Options.quick(materials=["Cu"], millers=[[1, 1, 1]], calculator="sevenn")
    return li_layers.layer_maker(li_layers.Options.quick(sites=sites, layers=1, **overrides))


def test_coincidence_cell_beyond_the_strain_bound_names_the_field():
    from lithiophilic.workflows.screen_wetting import LiWettingMaker, check_coincidence_cell

    lm = _layer_maker()
    found = check_coincidence_cell("Cu", [1, 1, 1], max_strain=0.05, multilayer=lm)
    assert found["max_strain"] <= 0.05 and found["li_per_layer"] >= 1
    with pytest.raises(ConfigurationError, match="wetting_max_strain: Cu 111"):
        check_coincidence_cell(
            "Cu", [1, 1, 1], max_strain=0.001, multilayer=lm, field_name="wetting_max_strain"
        )
    with pytest.raises(ConfigurationError, match="n_layers"):
        LiWettingMaker(layer_maker=lm, n_layers=0)
    with pytest.raises(ConfigurationError, match="gamma_layers"):
        LiWettingMaker(layer_maker=lm, gamma_layers=2)


@pytest.mark.slow
@pytest.mark.mlip
def test_li_film_adheres_to_cu111(memory_jobstore):
    """SevenNet-0, quick Cu(111), 3 Li(110) layers: Li wets Cu (W_adh > 0, and larger than
    gamma_Li: Li on Cu is lithiophilic, theta well below 90 deg); the film strain costs >= 0;
    gamma_Li(110) is positive and of the known size (DFT ~0.5 J/m2)."""
    from jobflow import run_locally

    from lithiophilic.workflows.screen_wetting import LiWettingMaker

    maker = LiWettingMaker(layer_maker=_layer_maker(), n_layers=3, gamma_layers=6)
    flow = maker.make("Cu", [1, 1, 1])
    run_locally(flow, store=memory_jobstore, ensure_success=True, log=False)
    doc = memory_jobstore.get_output(flow.output.uuid)
    doc = doc.model_dump() if hasattr(doc, "model_dump") else doc
    print(
        {
            k: doc[k]
            for k in (
                "adhesion_energy_j_per_m2",
                "li_surface_energy_j_per_m2",
                "strain_energy_per_li_ev",
                "contact_angle_deg",
                "wetting_regime",
                "li_per_layer",
                "n_li",
            )
        }
    )
    assert doc["converged"] and doc["n_layers_li"] == 3 and doc["n_li"] == 3 * doc["li_per_layer"]
    assert doc["adhesion_energy_j_per_m2"] > 0.0
    assert doc["adhesion_energy_ev_per_a2"] == pytest.approx(
        (doc["substrate_energy_ev"] + doc["strained_film_energy_ev"] - doc["interface_energy_ev"])
        / doc["area_a2"]
    )
    assert 0.2 < doc["li_surface_energy_j_per_m2"] < 0.8
    assert doc["strain_energy_ev"] > -0.05  # a strained film is not below its own lattice
    assert doc["contact_angle_deg"] < 90.0
    assert math.isclose(doc["max_strain_allowed"], 0.05)
