"""The embedded store survives kill -9 mid-campaign and two processes writing at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from lithiophilic.db import get_store
from lithiophilic.studies.surface import surface_energy_rows

ROOT = Path(__file__).resolve().parents[1]
EXE = Path(sys.executable).parent / "lithiophilic"
#: Cu with EMT on three facets and a thickness series: 12 slabs x (static + relax) + bulk,
#: 25 calculation jobs and ~35 EMT evaluations in about a second of compute.
CAMPAIGN = [
    "surface-energy", "-m", "Cu", "--calculator", "emt", "--miller", "111", "--miller", "100",
    "--miller", "110", "--n-layers", "8", "--thickness-series", "12,16,20", "--n-fixed-layers", "2",
]  # fmt: skip
N_SLABS = 12
#: EMT is so fast that a kill sent by a poller lands after the campaign's last calculation (CI
#: saw it). The campaign therefore SIGKILLs itself from inside its 15th EMT evaluation: the same
#: kill -9, delivered in the middle of a calculation at a point that does not depend on speed.
_KILL_HOOK = """
import os, signal
from ase.calculators.emt import EMT
_calculate, _calls = EMT.calculate, [0]
def calculate(self, *args, **kwargs):
    _calls[0] += 1
    if _calls[0] == int(os.environ["LITHIOPHILIC_TEST_KILL_AT"]):
        os.kill(os.getpid(), signal.SIGKILL)
    return _calculate(self, *args, **kwargs)
EMT.calculate = calculate
"""


def _env(hook_dir: Path | None = None) -> dict[str, str]:
    path = [str(ROOT / "src")] if hook_dir is None else [str(hook_dir), str(ROOT / "src")]
    # one process: the hook's kill -9 must hit the campaign itself, not a worker it spawned
    # (conftest sets LITHIOPHILIC_WORKERS=1 only under pytest-xdist)
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": os.pathsep.join(path),
        "LITHIOPHILIC_WORKERS": "1",
    }
    env.pop("LITHIOPHILIC_STORE", None)
    env.pop("LITHIOPHILIC_TEST_KILL_AT", None)
    if hook_dir is not None:
        env["LITHIOPHILIC_TEST_KILL_AT"] = "15"
    return env


def _calcs(data_dir: Path) -> list[dict]:
    store = get_store(data_dir=data_dir)
    docs = list(
        store.query(
            {"output.doc_type": "ase_calc"},
            properties=["uuid", "output.cache_key", "output.reused_from_uuid"],
        )
    )
    store.close()
    return docs


@pytest.mark.slow
def test_kill_9_mid_campaign_then_rerun_reuses_finished_work(tmp_path):
    data = tmp_path / "data"
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(_KILL_HOOK)
    cmd = [str(EXE), *CAMPAIGN, "--data-dir", str(data)]
    killed = subprocess.run(cmd, env=_env(hook), capture_output=True, text=True, timeout=600)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    # the database is readable after the kill, and holds only complete documents
    first = _calcs(data)
    assert 1 <= len(first) < 2 * N_SLABS + 1
    assert all(d["output"]["cache_key"] for d in first)
    n_first = len(first)

    rerun = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    docs = _calcs(data)
    computed = Counter(
        d["output"]["cache_key"] for d in docs if not d["output"]["reused_from_uuid"]
    )
    reused = [d for d in docs if d["output"]["reused_from_uuid"]]
    # every calculation was performed exactly once over the two runs ...
    assert max(computed.values()) == 1, computed
    # ... the finished ones were reused, the interrupted and the missing ones ran
    first_keys = {d["output"]["cache_key"] for d in first}
    assert {d["output"]["cache_key"] for d in reused} >= first_keys
    assert len(computed) > n_first  # the rest of the campaign ran in the second run
    # one surface energy per slab (3 facets x 4 thicknesses), none duplicated
    rows = surface_energy_rows(get_store(data_dir=data))
    assert len(rows) == N_SLABS
    assert len({(tuple(r["miller"]), r["n_layers"]) for r in rows}) == N_SLABS

    # a third run of the finished campaign computes nothing
    again = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=600)
    assert again.returncode == 0
    after = _calcs(data)
    assert (
        Counter(d["output"]["cache_key"] for d in after if not d["output"]["reused_from_uuid"])
        == computed
    )


_WRITER = """
import sys
from lithiophilic.db import get_store
data_dir, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = get_store(data_dir=data_dir)
blob = "x" * 30_000
for i in range(n):
    store.update({"uuid": f"{tag}-{i}", "index": 1, "output": {"doc_type": "t", "i": i, "blob": blob}})
    # both writers also upsert the same shared documents
    store.update({"uuid": f"shared-{i % 20}", "index": 1, "output": {"doc_type": "s", "by": tag}})
"""


@pytest.mark.slow
def test_two_processes_writing_the_embedded_store_at_once_lose_nothing(tmp_path):
    data = tmp_path / "fresh"  # created by the writers themselves: the creation race too
    n = 60
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(data), tag, str(n)],
            env=_env(),
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in ("a", "b")
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-2000:]
    store = get_store(data_dir=data)
    assert store.count({"output.doc_type": "t"}) == 2 * n
    for tag in ("a", "b"):
        got = {d["output"]["i"] for d in store.query({"uuid": {"$regex": f"^{tag}-"}})}
        assert got == set(range(n))
    assert store.count({"output.doc_type": "s"}) == 20  # upserts did not duplicate
