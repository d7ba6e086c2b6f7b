"""Training-data generation, labelling and checks for the distilled potential."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from ase.build import bulk, fcc111
from ase.calculators.emt import EMT
from ase.calculators.singlepoint import SinglePointCalculator
from ase.constraints import FixAtoms

from lithiophilic.errors import ConfigurationError
from lithiophilic.potentials.distill.frames import (
    STATIC_FAMILIES,
    check_training_frames,
    dataset_hash,
    frames_from_extxyz,
    frames_to_extxyz,
    label_atoms,
    make_md_run_specs,
    make_static_configs,
    split_frames,
)


def test_static_families_are_tagged_and_split():
    frames = make_static_configs(seed=3, n_per_family=5)
    fams = Counter(a.info["family"] for a in frames)
    assert set(fams) == set(STATIC_FAMILIES)
    train, test = split_frames(frames)
    assert test
    assert len(train) + len(test) == len(frames)
    # every held-out group is its own configuration: no group on both sides
    assert not {a.info["group"] for a in train} & {a.info["group"] for a in test}
    for a in frames:
        if len(a) > 1:
            d = a.get_all_distances(mic=True)
            assert d[np.triu_indices(len(a), 1)].min() >= 1.7
        assert set(a.get_chemical_symbols()) <= {"Li", "Cu", "Zn"}


def test_md_runs_hold_out_whole_runs():
    specs = make_md_run_specs((300.0, 600.0))
    assert len(specs) == 8
    groups = Counter((s.group, s.split) for s in specs)
    assert len({g for g, _ in groups}) == 8  # every run its own group, train or test
    assert Counter(s.split for s in specs) == {"train": 4, "test": 4}


def test_unknown_family_rejected():
    with pytest.raises(ConfigurationError, match="unknown"):
        make_static_configs(families=["bulk_al"])


def test_labels_come_from_raw_results_on_constrained_atoms():
    slab = fcc111("Cu", size=(2, 2, 3), vacuum=6.0)
    slab.rattle(0.05, seed=2)
    slab.set_constraint(FixAtoms(indices=[0, 1, 2, 3]))
    labelled = label_atoms(slab, EMT())
    forces = labelled.get_forces()
    assert np.abs(forces[:4]).max() > 1e-3  # ASE's get_forces() would zero these
    ref = slab.copy()
    ref.set_constraint()
    ref.calc = EMT()
    np.testing.assert_allclose(forces, ref.get_forces(), atol=1e-10)


def test_extxyz_round_trip_keeps_labels_and_tags():
    a = label_atoms(bulk("Cu", "fcc", a=3.6, cubic=True), EMT())
    a.info.update({"family": "bulk_cu", "group": "g0", "split": "test"})
    (b,) = frames_from_extxyz(frames_to_extxyz([a]))
    assert b.info["split"] == "test"
    assert b.get_potential_energy() == pytest.approx(a.get_potential_energy())
    assert dataset_hash([a]) == dataset_hash([b])


def test_check_rejects_missing_forces_and_unknown_species():
    a = bulk("Cu", "fcc", a=3.6)
    a.calc = SinglePointCalculator(a, energy=-3.0)
    with pytest.raises(ConfigurationError, match="no forces"):
        check_training_frames([a], ("Li", "Cu", "Zn"))
    b = bulk("Al", "fcc", a=4.05)
    b.calc = SinglePointCalculator(b, energy=-3.0, forces=np.zeros((1, 3)))
    with pytest.raises(ConfigurationError, match="Al"):
        check_training_frames([b], ("Li", "Cu", "Zn"))
    with pytest.raises(ConfigurationError, match="no configurations"):
        check_training_frames([], ("Li",))


def test_li_pair_family_holds_out_whole_slab_samples():
    from lithiophilic.potentials.distill.frames import LI_PAIR_ARRANGEMENTS, make_static_configs

    frames = make_static_configs(seed=3, n_per_family=20, families=["li_pairs_111"])
    by_group: dict[str, list] = {}
    for a in frames:
        by_group.setdefault(a.info["group"], []).append(a)
    assert len(by_group) == 10  # 5 slab samples per substrate
    for group in by_group.values():
        # every arrangement on the same slab, all on one side of the split
        assert sorted(a.info["arrangement"] for a in group) == sorted(LI_PAIR_ARRANGEMENTS)
        assert len({a.info["split"] for a in group}) == 1
        n_sub = [sum(s != "Li" for s in a.get_chemical_symbols()) for a in group]
        assert len(set(n_sub)) == 1
        subs = {tuple(s for s in a.get_chemical_symbols() if s != "Li") for a in group}
        assert len(subs) == 1  # the same decoration under every arrangement
    assert Counter(g[0].info["split"] for g in by_group.values()) == {"train": 8, "test": 2}


def test_li_pairing_errors_are_energy_differences_on_one_slab():
    from lithiophilic.potentials.distill.frames import make_static_configs
    from lithiophilic.potentials.distill.validation import li_pairing_errors

    frames = make_static_configs(seed=4, n_per_family=8, families=["li_pairs_111"])
    teacher = {"li1": -1.0, "pair": -2.3, "apart": -2.2, "trimer": -3.5, "apart3": -3.3}
    preds = []
    for a in frames:
        e = teacher[a.info["arrangement"]]
        a.calc = SinglePointCalculator(a, energy=e, forces=np.zeros((len(a), 3)))
        shift = 0.05 if a.info["arrangement"] in ("pair", "trimer") else 0.0  # model binds less
        preds.append((e + 7.0 + shift, np.zeros((len(a), 3))))  # a constant offset cancels
    res = li_pairing_errors(frames, preds)
    assert len(res["samples"]) == 4
    assert res["samples"][0]["pair_teacher_ev"] == pytest.approx(-0.1)
    assert res["samples"][0]["trimer_teacher_ev"] == pytest.approx(-0.2)
    assert res["pair_mean_error_ev"] == pytest.approx(0.05)
    assert res["trimer_rmse_ev"] == pytest.approx(0.05)
