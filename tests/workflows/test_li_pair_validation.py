"""Site-resolved Li–Li interactions, distilled potential vs teacher (issue 19 item 4).

Real calculators: the shipped ``licuzn-eam`` through LAMMPS and SevenNet-0.
"""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest

from lithiophilic.errors import ConfigurationError
from lithiophilic.workflows.li_pair_validation import (
    SITE_OFFSETS,
    compare_pair_interactions,
    fcc_hollow_xy,
    pair_substrate,
    site_resolved_interactions,
)


def _eam():
    from lithiophilic.potentials import CalculatorSpec, get_calculator

    return get_calculator(CalculatorSpec("lammps", {"potential": "licuzn-eam"}))


def test_hollows_are_fcc_and_at_the_stated_distances():
    slab = pair_substrate("Cu")
    xy = fcc_hollow_xy(slab, SITE_OFFSETS)
    from ase.geometry import find_mic

    def lateral(tag, p):
        d = slab.positions[slab.get_tags() == tag] - np.array([p[0], p[1], 0.0])
        d[:, 2] = 0.0
        return np.sort(find_mic(d, slab.cell, pbc=[True, True, False])[1])

    for p in xy.values():
        assert np.allclose(lateral(1, p)[:3], 3.62 / np.sqrt(6), atol=1e-6)  # 3 top atoms
        assert lateral(3, p)[0] < 1e-6  # directly above plane 3: an fcc hollow
    with pytest.raises(ConfigurationError, match="placements"):
        compare_pair_interactions(None, None, placements=["nn_XY"])  # type: ignore[arg-type]


@pytest.mark.slow
def test_eam_on_cu111_symmetric_pairs_agree_and_far_pair_vanishes():
    """On Cu(111) the three nearest-neighbour pairs are equivalent and the far pair ~0."""
    r = site_resolved_interactions(pair_substrate("Cu"), _eam())
    p = {k: v["e_int_ev"] for k, v in r["placements"].items()}
    assert all(ok["converged"] for ok in r["relaxations"].values())
    assert abs(p["nn_AB"] - p["nn_AE"]) < 1e-4
    assert abs(p["nn_AB"] - p["nn_BE"]) < 1e-4
    assert abs(p["far_AD"]) < 0.01
    assert r["placements"]["far_AD"]["li_li_distance_a"] > 6.5
    assert r["placements"]["trimer_ABE"]["three_body_ev"] is not None


@pytest.mark.slow
@pytest.mark.mlip
def test_validate_removes_alloy_site_energies_for_teacher_and_eam(tmp_path):
    """Cu0.64Zn0.36(111) SQS: two Li 6.9 Å apart on different hollows, SevenNet-0 and EAM.

    The two hollows' own energies differ, yet E_int = E(ij) - E(i) - E(j) + E(0) of the far
    pair is ~0 for both calculators, while "pair - 2 x one site" (what a single reference
    site mixes in) is not; the section reaches the validation report and its targets.
    """
    from lithiophilic.potentials.distill.validation import validate_potential
    from lithiophilic.potentials.lammps import get_lammps_potential

    report = validate_potential(
        get_lammps_potential("licuzn-eam"),
        tmp_path,
        physics=False,
        stability_ps=0.0,
        pair_interactions=functools.partial(
            compare_pair_interactions, substrates=("CuZn",), placements=("far_AD",)
        ),
    )
    stored = json.loads((tmp_path / "potential_validation.json").read_text())
    assert stored["li_pair_interactions"]["substrates"]["CuZn"]["errors_ev"].keys() == {"far_AD"}
    section = report["li_pair_interactions"]["substrates"]["CuZn"]
    for who in ("teacher", "model"):
        e = section[who]["energies_ev"]
        site_a, site_d = e["A"] - e[""], e["D"] - e[""]
        e_int = section[who]["placements"]["far_AD"]["e_int_ev"]
        mixed = (e["A+D"] - e[""]) - 2 * site_a
        print(who, f"E(A) {site_a:.3f} E(D) {site_d:.3f} E_int {e_int:+.4f} mixed {mixed:+.4f}")
        assert abs(e_int) < 0.03
        assert abs(mixed) > 0.05 + abs(e_int)
    t = report["targets"]["li_pair_interactions"]
    assert t["target_max_abs_error_ev"] == 0.03
    assert t["met"] == (t["max_abs_error_ev"] <= 0.03)
