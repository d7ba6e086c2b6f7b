from __future__ import annotations

import numpy as np

from lithiophilic.structures import make_oriented_sqs, make_sqs

BRASS = {"Cu": 0.64, "Zn": 0.36}
A_BRASS = 3.69
FAST = 2000


def test_sqs_cache_reuses_result_without_search(tmp_path, monkeypatch, caplog):
    cache = tmp_path / "sqs-cache"
    monkeypatch.setenv("LITHIOPHILIC_SQS_CACHE", str(cache))
    first = make_sqs(BRASS, a_a=A_BRASS, n_atoms=25, seed=3, n_steps=FAST)
    assert len(list(cache.glob("*.json"))) == 1
    import icet.tools.structure_generation as gen

    def no_search(*args, **kwargs):
        msg = "SQS search ran although the result is cached"
        raise AssertionError(msg)

    monkeypatch.setattr(gen, "generate_sqs_from_supercells", no_search)
    again = make_sqs(BRASS, a_a=A_BRASS, n_atoms=25, seed=3, n_steps=FAST)
    assert again.get_chemical_symbols() == first.get_chemical_symbols()
    np.testing.assert_allclose(again.positions, first.positions, atol=1e-12)
    np.testing.assert_allclose(again.cell, first.cell, atol=1e-12)
    assert again.info["sqs"] == first.info["sqs"]
    monkeypatch.undo()
    monkeypatch.setenv("LITHIOPHILIC_SQS_CACHE", str(cache))
    oriented_first = make_oriented_sqs(
        BRASS, (1, 1, 1), a_a=A_BRASS, n_layers=3, seed=0, n_steps=FAST
    )
    assert len(list(cache.glob("*.json"))) == 2
    monkeypatch.setattr(gen, "generate_sqs_from_supercells", no_search)
    oriented = make_oriented_sqs(BRASS, (1, 1, 1), a_a=A_BRASS, n_layers=3, seed=0, n_steps=FAST)
    assert oriented.get_chemical_symbols() == oriented_first.get_chemical_symbols()
    np.testing.assert_allclose(oriented.positions, oriented_first.positions, atol=1e-12)


def test_sqs_cache_key_changes_with_seed_and_off_by_default(tmp_path, monkeypatch):
    monkeypatch.delenv("LITHIOPHILIC_SQS_CACHE", raising=False)
    make_sqs(BRASS, a_a=A_BRASS, n_atoms=25, seed=0, n_steps=FAST)
    cache = tmp_path / "c"
    monkeypatch.setenv("LITHIOPHILIC_SQS_CACHE", str(cache))
    a = make_sqs(BRASS, a_a=A_BRASS, n_atoms=25, seed=0, n_steps=FAST)
    b = make_sqs(BRASS, a_a=A_BRASS, n_atoms=25, seed=1, n_steps=FAST)
    assert len(list(cache.glob("*.json"))) == 2
    assert a.get_chemical_symbols() != b.get_chemical_symbols()
    # a corrupt entry is recomputed, not trusted
    for f in cache.glob("*.json"):
        f.write_text("{not json")
    c = make_sqs(BRASS, a_a=A_BRASS, n_atoms=25, seed=0, n_steps=FAST)
    assert c.get_chemical_symbols() == a.get_chemical_symbols()
