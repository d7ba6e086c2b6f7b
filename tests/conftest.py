from __future__ import annotations

import os
import warnings

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "2")
# Under pytest-xdist each core already runs a test worker: a study runs its jobs in the test's
# process unless the test asks for workers (studies.base.WORKERS_ENV; explicit workers win).
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("LITHIOPHILIC_WORKERS", "1")
warnings.filterwarnings("ignore", category=UserWarning)

#: Work units started first under pytest-xdist: the longest (minutes each), so that no worker
#: is left alone with one of them at the end. tests/hpc waits on Slurm more than it computes.
FIRST_UNITS = ("tests/hpc", "tests/studies/test_verify.py", "tests/notebooks/test_notebooks.py")


def _work_unit(nodeid: str) -> str:
    """Return the pytest-xdist work unit of a test: its file; all of tests/hpc is one unit.

    Module-scoped fixtures (relaxed slabs, the notebook database) are built once, on one worker;
    tests/hpc shares one local Slurm cluster and one Mongo server (session fixtures) and the
    sleeper job that the time-limit test waits for.
    """
    path = nodeid.split("::", 1)[0]
    return "tests/hpc" if path.startswith("tests/hpc/") else path


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """``--dist loadfile`` (``scripts/test.sh``) with tests/hpc as one unit (see :func:`_work_unit`).

    (``--dist loadgroup`` with ``xdist_group`` marks cannot do it: pytest-xdist 3.8 renames
    the node ids through an attribute that pytest 9 no longer reads.)
    """
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class FileUnits(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _work_unit(nodeid)

    return FileUnits(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist, order the work units longest-first (the order inside a file is kept).

    :data:`FIRST_UNITS`, then files with a ``slow`` test, then the rest (``scripts/test.sh``
    passes ``--no-loadscope-reorder`` so that xdist keeps this order). A run without xdist
    is left as collected.
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    units = {id(item): _work_unit(item.nodeid) for item in items}
    slow = {units[id(i)] for i in items if i.get_closest_marker("slow")}

    def rank(item: pytest.Item) -> int:
        unit = units[id(item)]
        if unit in FIRST_UNITS:
            return FIRST_UNITS.index(unit)
        return len(FIRST_UNITS) + (0 if unit in slow else 1)

    items.sort(key=rank)  # stable


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
