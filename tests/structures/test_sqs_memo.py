"""make_sqs keeps the SQS it made in this process: same inputs, same cell, no second search."""

from __future__ import annotations

import numpy as np
import pytest

from lithiophilic.structures import make_bulk, make_sqs
from lithiophilic.structures.sqs import clear_sqs_memo

BRASS = {"Cu": 0.64, "Zn": 0.36}
A_BRASS = 3.69
FAST = 2000


def _no_search(*args, **kwargs):
    msg = "SQS search ran although this process made the same SQS before"
    raise AssertionError(msg)


@pytest.fixture
def fresh_memo(monkeypatch):
    monkeypatch.delenv("LITHIOPHILIC_SQS_CACHE", raising=False)
    clear_sqs_memo()
    yield
    clear_sqs_memo()


def _same(a, b):
    assert a.get_chemical_symbols() == b.get_chemical_symbols()
    assert np.array_equal(a.positions, b.positions)  # bit for bit: cache keys hash them
    assert np.array_equal(a.cell.array, b.cell.array)
    assert a.info == b.info


def test_same_inputs_reuse_the_sqs_as_a_copy(fresh_memo, monkeypatch):
    import icet.tools.structure_generation as gen

    first = make_sqs(BRASS, a_a=A_BRASS, n_atoms=25, seed=4, n_steps=FAST)
    reference = first.copy()
    first.positions[0] += 1.0  # a caller changing its cell must not change the memo
    first.info["sqs"]["seed"] = 99
    first.info["material"] = "changed"
    monkeypatch.setattr(gen, "generate_sqs_from_supercells", _no_search)
    again = make_sqs(BRASS, a_a=A_BRASS, n_atoms=25, seed=4, n_steps=FAST)
    assert again.info["sqs"]["seed"] == 4 and "material" not in again.info
    assert np.array_equal(again.positions, reference.positions)
    assert again is not make_sqs(BRASS, a_a=A_BRASS, n_atoms=25, seed=4, n_steps=FAST)
    with pytest.raises(AssertionError, match="SQS search ran"):  # another seed: a new search
        make_sqs(BRASS, a_a=A_BRASS, n_atoms=25, seed=5, n_steps=FAST)


def test_memo_gives_the_cell_a_new_search_gives(fresh_memo):
    memo_made = make_sqs(BRASS, a_a=A_BRASS, n_atoms=25, seed=2, n_steps=FAST)
    reused = make_sqs(BRASS, a_a=A_BRASS, n_atoms=25, seed=2, n_steps=FAST)
    clear_sqs_memo()
    searched = make_sqs(BRASS, a_a=A_BRASS, n_atoms=25, seed=2, n_steps=FAST)
    _same(reused, searched)
    _same(memo_made, searched)
    bulk = make_bulk("Cu0.64Zn0.36", n_atoms=25)
    assert bulk.info["material"] == "Cu0.64Zn0.36"
    _same(make_bulk("Cu0.64Zn0.36", n_atoms=25), bulk)  # named material: info set on a copy


def test_memo_still_fills_the_file_cache(fresh_memo, tmp_path, monkeypatch):
    make_sqs(BRASS, a_a=A_BRASS, n_atoms=25, seed=1, n_steps=FAST)  # made with the cache off
    cache = tmp_path / "sqs-cache"
    monkeypatch.setenv("LITHIOPHILIC_SQS_CACHE", str(cache))
    make_sqs(BRASS, a_a=A_BRASS, n_atoms=25, seed=1, n_steps=FAST)
    assert len(list(cache.glob("*.json"))) == 1
