from __future__ import annotations

import os
import warnings

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "2")
warnings.filterwarnings("ignore", category=UserWarning)


@pytest.fixture
def memory_jobstore():
    from jobflow import JobStore
    from maggma.stores import MemoryStore

    store = JobStore(MemoryStore(), additional_stores={"data": MemoryStore()})
    store.connect()
    return store


@pytest.fixture
def embedded_store(tmp_path):
    from lithiophilic.db import get_store

    return get_store(data_dir=tmp_path / "db")


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LITHIOPHILIC_DATA", str(tmp_path / "lithiophilic-data"))
    monkeypatch.delenv("LITHIOPHILIC_STORE", raising=False)
    # the CLI sets this for the process; pin it so it never leaks between tests
    monkeypatch.setenv("LITHIOPHILIC_SQS_CACHE", str(tmp_path / "lithiophilic-data" / "sqs-cache"))
    return tmp_path


@pytest.fixture(scope="session")
def sevenn_spec():
    from lithiophilic.potentials import CalculatorSpec

    return CalculatorSpec("sevenn")


@pytest.fixture(scope="session")
def emt_spec():
    from lithiophilic.potentials import CalculatorSpec

    return CalculatorSpec("emt")
