"""The screen's ranking rule (issue 20 item 3): signs, weights, missing descriptors, ties."""

from __future__ import annotations

import math

import pytest

from lithiophilic.analysis.screen_rule import (
    RULE,
    RULE_TEXT,
    RULE_VERSION,
    TIE_TOLERANCE_EV,
    rank_skins,
)


def _skin(ads: float | None, first: float | None, **extra: float | None) -> dict:
    return {"adsorption_binding_energy_ev": ads, "first_layer_binding_energy_ev": first, **extra}


def test_rule_is_stated_with_version_signs_and_weights():
    names = {r.name: r for r in RULE}
    assert names["adsorption_binding_energy_ev"].sign == 1
    assert names["skin_dissolution_energy_ev"].sign == -1
    assert names["diffusion_barrier_ev"].weight == 0
    assert all(r.why for r in RULE)
    assert RULE_VERSION in RULE_TEXT and "adsorption_binding_energy_ev" in RULE_TEXT


def test_score_is_the_weighted_signed_sum_and_rank_1_is_most_lithiophilic():
    ranking = rank_skins(
        {
            "A": _skin(0.5, 0.1, skin_dissolution_energy_ev=-0.2, pair_interaction_energy_ev=0.04),
            "B": _skin(0.2, 0.0, skin_dissolution_energy_ev=0.6, pair_interaction_energy_ev=-0.1),
        }
    )
    by = {r.skin: r for r in ranking.skins}
    assert math.isclose(by["A"].score_ev, 0.5 + 0.1 + 0.1 + 0.02)
    assert math.isclose(by["B"].score_ev, 0.2 + 0.0 - 0.3 - 0.05)
    assert (by["A"].rank, by["B"].rank) == (1, 2)
    assert ranking.skins[0].skin == "A"
    assert by["A"].as_dict()["rule_version"] == RULE_VERSION
    assert not ranking.dropped


def test_weight_zero_descriptors_do_not_move_the_score():
    a = rank_skins({"A": _skin(0.3, 0.1)}).skins[0].score_ev
    b = rank_skins({"A": _skin(0.3, 0.1, diffusion_barrier_ev=5.0)}).skins[0].score_ev
    assert a == b


def test_missing_required_descriptor_leaves_the_skin_unranked_never_zero():
    ranking = rank_skins(
        {"A": _skin(None, 0.1), "B": _skin(-0.5, -0.5)},
        reasons={"A": {"adsorption_binding_energy_ev": "every Li incorporated"}},
    )
    by = {r.skin: r for r in ranking.skins}
    assert by["A"].rank is None and by["A"].score_ev is None
    assert "every Li incorporated" in by["A"].unranked_reason
    assert by["B"].rank == 1  # a negative score still ranks above an unranked skin
    assert ranking.skins[-1].skin == "A"


def test_missing_optional_descriptor_is_dropped_for_every_skin():
    ranking = rank_skins(
        {
            "A": _skin(0.3, 0.1, skin_dissolution_energy_ev=-1.0),
            "B": _skin(0.4, 0.1, skin_dissolution_energy_ev=float("nan")),
        }
    )
    assert "skin_dissolution_energy_ev" in ranking.dropped
    assert "B" in ranking.dropped["skin_dissolution_energy_ev"]
    by = {r.skin: r for r in ranking.skins}
    assert math.isclose(by["A"].score_ev, 0.4)  # not 0.9: the dropped term is in no score
    assert by["B"].rank == 1


def test_ties_share_a_rank():
    eps = TIE_TOLERANCE_EV / 2
    ranking = rank_skins({"A": _skin(0.3, 0.0), "B": _skin(0.3 - eps, 0.0), "C": _skin(0.1, 0.0)})
    by = {r.skin: r for r in ranking.skins}
    assert by["A"].rank == by["B"].rank == 1
    assert by["C"].rank == 3
    assert by["A"].tied_with == ["B"]
    assert by["C"].tied_with == []


@pytest.mark.parametrize("bad", [None, float("nan")])
def test_none_and_nan_are_missing(bad):
    assert rank_skins({"A": _skin(bad, 0.0)}).skins[0].rank is None
