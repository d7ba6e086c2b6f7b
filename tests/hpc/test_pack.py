"""Packed Slurm submissions (``submit --pack N --max-jobs M``) on a real local Slurm cluster."""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hpc_helpers import SRC, cli_env, run_cli

HERE = Path(__file__).resolve().parent
FINAL = ("COMPLETED", "FAILED", "CANCELLED")


def _use_cluster(monkeypatch, local_slurm) -> dict[str, str]:
    """sbatch reaches the local cluster; the workers import this checkout and pack_jobs."""
    env = cli_env(**local_slurm.env())
    for key in ("PATH", "OMP_NUM_THREADS", *local_slurm.env()):
        monkeypatch.setenv(key, env[key])
    monkeypatch.setenv("PYTHONPATH", f"{SRC}:{HERE}")
    monkeypatch.delenv("LITHIOPHILIC_STORE", raising=False)
    return env


def _wait_final(tracking, uuids: list[str], timeout_s: float) -> dict[str, dict]:
    from lithiophilic.db import tracked_jobs
    from lithiophilic.hpc.slurm import refresh_states

    t0 = time.monotonic()
    while True:
        refresh_states(tracking)
        jobs = {j["uuid"]: j for j in tracked_jobs(tracking) if j["uuid"] in uuids}
        if len(jobs) == len(uuids) and all(j["state"] in FINAL for j in jobs.values()):
            return jobs
        if time.monotonic() - t0 > timeout_s:
            pytest.fail(f"packed jobs not finished after {timeout_s} s: {jobs}")
        time.sleep(1)


def _wait_final_with_status(store, uuids: list[str], timeout_s: float) -> dict[str, dict]:
    """Like _wait_final, through hpc.submit.job_status (what `db status` shows)."""
    from lithiophilic.hpc.submit import job_status

    t0 = time.monotonic()
    while True:
        jobs = {j["uuid"]: j for j in job_status(store)["jobs"] if j["uuid"] in uuids}
        if len(jobs) == len(uuids) and all(j["state"] in FINAL for j in jobs.values()):
            return jobs
        if time.monotonic() - t0 > timeout_s:
            pytest.fail(f"packed jobs not finished after {timeout_s} s: {jobs}")
        time.sleep(1)


def _twenty_job_flow():
    """Three chains of six one-second ticks, their sum, and one job after the sum (20 jobs)."""
    from jobflow import Flow
    from pack_jobs import tick, total

    jobs, ends = [], []
    for chain in range(3):
        step = tick(chain)
        step.name = f"tick {chain}-0"
        jobs.append(step)
        for k in range(1, 6):
            step = tick(step.output)
            step.name = f"tick {chain}-{k}"
            jobs.append(step)
        ends.append(step.output)
    summed = total(ends)
    summed.name = "total"
    last = tick(summed.output)
    last.name = "after total"
    return Flow([*jobs, summed, last], name="ticks"), summed, last


@pytest.mark.slurm
@pytest.mark.slow
def test_twenty_jobs_packed_ten_per_allocation_run_as_two_slurm_jobs(
    local_slurm, packed_study, tmp_path, monkeypatch
):
    from lithiophilic.db import get_store, get_tracking_store
    from lithiophilic.hpc.pack import read_pack_log
    from lithiophilic.hpc.slurm import SlurmResources
    from lithiophilic.hpc.submit import submit_flows_to

    env = _use_cluster(monkeypatch, local_slurm)
    data_dir = tmp_path / "data"
    store = get_store(data_dir=data_dir)
    tracking = get_tracking_store(store)
    flow, summed, last = _twenty_job_flow()
    records = submit_flows_to(
        {"ticks": flow},
        command="test: 20 ticks",
        store_spec={"data_dir": str(data_dir), "store": None},
        tracking=tracking,
        work_dir=data_dir / "slurm",
        target=SlurmResources(partition="debug", time="00:05:00", pack=10),
    )
    assert len(records) == 20
    ids = {r["slurm_job_id"] for r in records}
    assert len(ids) == 2  # two allocations, two sbatch calls
    (sub_dir,) = (data_dir / "slurm").iterdir()
    assert len(list(sub_dir.glob("pack-*.sbatch"))) == 2
    events = read_pack_log(sub_dir)
    assert [e["event"] for e in events] == ["submitted", "submitted"]
    first, second = (e["slurm_job_id"] for e in events)
    # chain 1 and the sum span both allocations: the second waits for the first (afterany)
    assert all(r["depends_on"] == [first] for r in records if r["slurm_job_id"] == second)
    jobs = _wait_final(tracking, [r["uuid"] for r in records], 150)
    # `db status` (the CLI) shows each of the 20 jobs COMPLETED, not just two allocations
    status = tmp_path / "status.json"
    proc = run_cli("db", "status", "--data-dir", str(data_dir), "--json", str(status), env=env)
    assert proc.returncode == 0, proc.stderr
    shown = json.loads(status.read_text())
    assert shown["tracked_jobs"] == {"COMPLETED": 20}, [
        (j["name"], j["state"]) for j in jobs.values()
    ]
    assert {j["slurm_job_id"] for j in shown["jobs"]} == {first, second}
    # outputs went to the store: chains end at 6, 7, 8; their sum 21; one more tick 22
    assert store.get_output(summed.uuid) == 21
    assert store.get_output(last.uuid) == 22
    finished = [e for e in _wait_handed_over(sub_dir, 2) if e["event"] == "finished"]
    assert sorted(e["slurm_job_id"] for e in finished) == sorted([first, second])


def _wait_handed_over(sub_dir: Path, n: int, timeout_s: float = 90) -> list[dict]:
    """The pack log once all ``n`` allocations ran their exit trap (just after their last job)."""
    from lithiophilic.hpc.pack import read_pack_log

    t0 = time.monotonic()
    while True:
        events = read_pack_log(sub_dir)
        if sum(e["event"] == "finished" for e in events) >= n or time.monotonic() - t0 > timeout_s:
            return events
        time.sleep(0.5)


def _squeue_ids() -> set[str]:
    proc = subprocess.run(
        ["squeue", "-h", "-o", "%i"], capture_output=True, text=True, check=False, timeout=30
    )
    return set(proc.stdout.split())


@contextlib.contextmanager
def _polling_squeue(sub_dir: Path, observed: list[int]) -> Iterator[None]:
    """Append, every 0.3 s, how many allocations of the submission squeue holds (not handed over)."""
    from lithiophilic.hpc.pack import read_pack_log

    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            queue = _squeue_ids()
            events = read_pack_log(sub_dir)  # read after squeue: a "finished" is already past
            submitted = {e["slurm_job_id"] for e in events if e["event"] == "submitted"}
            finished = {e["slurm_job_id"] for e in events if e["event"] == "finished"}
            observed.append(len((queue & submitted) - finished))
            time.sleep(0.3)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        yield
    finally:
        stop.set()
        poller.join(timeout=10)


def _assert_log_never_over(events: list[dict], *, cap: int, n_allocations: int) -> None:
    """The submission log: never more than ``cap`` allocations between submission and hand-over."""
    submitted = [e for e in events if e["event"] == "submitted"]
    assert len(submitted) == n_allocations
    assert max(e["queued"] for e in submitted) == cap
    spans = {e["slurm_job_id"]: [e["time"], None] for e in submitted}
    for e in events:
        if e["event"] == "finished":
            spans[e["slurm_job_id"]][1] = e["time"]
    assert all(end is not None for _, end in spans.values()), spans
    for start, _ in spans.values():
        alive = [sid for sid, (s, e) in spans.items() if s <= start < e]
        assert len(alive) <= cap, spans


@pytest.mark.slurm
@pytest.mark.slow
def test_max_jobs_caps_the_queue_and_a_failure_fails_only_its_dependents(
    local_slurm, tmp_path, monkeypatch
):
    from jobflow import Flow
    from pack_jobs import boom, tick, total

    from lithiophilic.db import get_store, get_tracking_store
    from lithiophilic.hpc.slurm import SlurmResources
    from lithiophilic.hpc.submit import submit_flows_to

    _use_cluster(monkeypatch, local_slurm)
    data_dir = tmp_path / "data"
    tracking = get_tracking_store(get_store(data_dir=data_dir))
    failing = boom("deliberate failure")
    child = tick(failing.output, 0.2)
    others = [tick(k, 0.2) for k in range(5)]
    summed = total([child.output, *(t.output for t in others)], 0.2)
    flow = Flow([failing, child, *others, summed], name="cap")
    records = submit_flows_to(
        {"cap": flow},
        command="test: cap",
        store_spec={"data_dir": str(data_dir), "store": None},
        tracking=tracking,
        work_dir=data_dir / "slurm",
        target=SlurmResources(partition="debug", time="00:05:00", pack=3, max_jobs=1),
    )
    assert len(records) == 8
    by_alloc = {}
    for r in records:
        by_alloc.setdefault(r["allocation"], []).append(r)
    assert len(by_alloc) == 3
    assert [bool(r.get("slurm_job_id")) for r in records].count(True) == 3  # one allocation
    assert {r["state"] for r in records if not r.get("slurm_job_id")} == {"WAITING"}
    (sub_dir,) = (data_dir / "slurm").iterdir()

    observed: list[int] = []
    with _polling_squeue(sub_dir, observed):
        jobs = _wait_final(tracking, [r["uuid"] for r in records], 150)
    assert observed and max(observed) == 1, observed
    _assert_log_never_over(_wait_handed_over(sub_dir, 3), cap=1, n_allocations=3)

    state = {j["name"]: j for j in jobs.values()}
    assert state["boom"]["state"] == "FAILED"
    assert "deliberate failure" in state["boom"]["reason"]
    assert jobs[child.uuid]["state"] == "FAILED"
    assert "parent 'boom'" in jobs[child.uuid]["reason"]
    assert jobs[summed.uuid]["state"] == "FAILED"
    assert "parent 'tick'" in jobs[summed.uuid]["reason"]
    # the unrelated jobs, also those packed with the failing one, completed
    assert {jobs[t.uuid]["state"] for t in others} == {"COMPLETED"}
    alloc_of_boom = jobs[failing.uuid]["allocation"]
    neighbours = [t for t in others if jobs[t.uuid]["allocation"] == alloc_of_boom]
    assert neighbours, "the flow no longer packs an unrelated job beside the failing one"


@pytest.mark.slurm
def test_cancelling_a_packed_submission_stops_the_allocations_from_submitting_more(
    local_slurm, tmp_path, monkeypatch
):
    from jobflow import Flow
    from pack_jobs import tick

    from lithiophilic.db import get_store, get_tracking_store
    from lithiophilic.hpc.pack import read_pack_log
    from lithiophilic.hpc.slurm import SlurmResources, _scontrol_state
    from lithiophilic.hpc.submit import cancel_submitted, submit_flows_to

    _use_cluster(monkeypatch, local_slurm)
    data_dir = tmp_path / "data"
    tracking = get_tracking_store(get_store(data_dir=data_dir))
    flow = Flow([tick(k, 0.1) for k in range(3)], name="withdrawn")
    records = submit_flows_to(
        {"withdrawn": flow},
        command="test: cancel",
        target=SlurmResources(partition="debug", time="00:05:00", max_jobs=1, pre_run="sleep 60"),
        store_spec={"data_dir": str(data_dir), "store": None},
        tracking=tracking,
        work_dir=data_dir / "slurm",
    )
    assert len({r["allocation"] for r in records}) == 3  # --max-jobs alone: one job each
    (sid,) = {r["slurm_job_id"] for r in records if r.get("slurm_job_id")}
    t0 = time.monotonic()
    while (_scontrol_state(sid) or {}).get("JobState") != "RUNNING":
        assert time.monotonic() - t0 < 60, _scontrol_state(sid)
        time.sleep(0.5)
    cancelled = cancel_submitted(records, "withdrawn by the test", tracking=tracking)
    assert cancelled.slurm_job_ids == [sid]
    (sub_dir,) = (data_dir / "slurm").iterdir()
    events = _wait_handed_over(sub_dir, 1)  # its exit trap ran after the scancel ...
    assert [e["event"] for e in events] == ["submitted", "finished"]  # ... and submitted nothing
    jobs = _wait_final(tracking, [r["uuid"] for r in records], 60)
    assert {j["state"] for j in jobs.values()} == {"CANCELLED"}, jobs
    assert len(read_pack_log(sub_dir)) == 2


@pytest.mark.slurm
def test_allocation_killed_before_its_exit_trap_fails_the_jobs_left_waiting(
    local_slurm, tmp_path, monkeypatch
):
    """SIGKILL (no exit trap): nothing submits the rest; db status says so, not WAITING."""
    from jobflow import Flow
    from pack_jobs import tick

    from lithiophilic.db import get_store, get_tracking_store
    from lithiophilic.hpc.slurm import SlurmResources
    from lithiophilic.hpc.submit import submit_flows_to

    _use_cluster(monkeypatch, local_slurm)
    data_dir = tmp_path / "data"
    store = get_store(data_dir=data_dir)
    tracking = get_tracking_store(store)
    flow = Flow([tick(k, 0.1) for k in range(2)], name="killed")
    records = submit_flows_to(
        {"killed": flow},
        command="test: killed",
        target=SlurmResources(partition="debug", time="00:05:00", max_jobs=1, pre_run="kill -9 $$"),
        store_spec={"data_dir": str(data_dir), "store": None},
        tracking=tracking,
        work_dir=data_dir / "slurm",
    )
    assert [r["state"] for r in records] == ["SUBMITTED", "WAITING"]
    jobs = _wait_final_with_status(store, [r["uuid"] for r in records], 90)
    first, second = (jobs[r["uuid"]] for r in records)
    assert first["state"] == "FAILED" and "Slurm FAILED" in first["reason"], first
    assert second["state"] == "FAILED", second
    assert "not submitted" in second["reason"] and "submit the command again" in second["reason"]


@pytest.fixture(scope="module")
def packed_study(local_slurm, tmp_path_factory):
    """`submit --scheduler slurm --pack 5 surface-energy ...`, submitted before the 20-job test.

    The 20 ticks run one allocation at a time on one of the cluster's two CPUs; the study runs
    on the other meanwhile.
    """
    env = cli_env(**local_slurm.env())
    data_dir = tmp_path_factory.mktemp("packed-study") / "data"
    proc = run_cli(
        "submit", "--scheduler", "slurm", "--partition", "debug", "--time", "00:10:00",
        "--pack", "5", "surface-energy", "-m", "Cu", "--quick", "--calculator", "emt",
        "--miller", "111", "--data-dir", str(data_dir), env=env,
    )  # fmt: skip
    return data_dir, env, proc


@pytest.mark.slurm
@pytest.mark.slow
def test_cli_packs_a_study_into_one_allocation_and_its_results_are_stored(packed_study):
    """`submit --pack 5 surface-energy ...`: both jobs in one allocation, results stored."""
    data_dir, env, proc = packed_study
    assert proc.returncode == 0, proc.stderr
    assert "2 jobs packed into 1 allocations, 1 queued now" in proc.stdout
    from lithiophilic.db import get_store
    from lithiophilic.studies.surface import surface_energy_rows

    store = get_store(data_dir=data_dir)
    uuids = [j["uuid"] for j in _status_jobs(data_dir, env)]
    jobs = _wait_final_with_status(store, uuids, 240)
    assert {j["state"] for j in jobs.values()} == {"COMPLETED"}, jobs
    assert len({j["slurm_job_id"] for j in jobs.values()}) == 1
    (row,) = surface_energy_rows(store)
    assert 0.5 < row["gamma_relaxed_j_per_m2"] < 2.5  # EMT Cu(111)


def _status_jobs(data_dir: Path, env: dict[str, str]) -> list[dict]:
    status = data_dir.parent / "status.json"
    proc = run_cli("db", "status", "--data-dir", str(data_dir), "--json", str(status), env=env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(status.read_text())["jobs"]


def test_plan_groups_jobs_in_order_and_links_allocations_by_parents():
    from lithiophilic.hpc.pack import plan_allocations

    jobs = [("a", []), ("b", ["a"]), ("c", []), ("d", ["c", "a"]), ("e", ["d"])]
    plan = plan_allocations(jobs, 2)
    assert [p["jobs"] for p in plan] == [["a", "b"], ["c", "d"], ["e"]]
    assert [p["after"] for p in plan] == [[], [0], [1]]
    assert [p["jobs"] for p in plan_allocations(jobs, 10)] == [["a", "b", "c", "d", "e"]]


def _text(res) -> str:
    """The CLI output on one line, without rich's line breaks."""
    return " ".join(res.output.replace("│", " ").split())


@pytest.mark.parametrize(("option", "value"), [("--pack", "0"), ("--max-jobs", "-1")])
def test_pack_and_max_jobs_below_one_exit_2_and_submit_nothing(tmp_path, option, value):
    from typer.testing import CliRunner

    from lithiophilic.cli import app

    data_dir = tmp_path / "data"
    res = CliRunner().invoke(
        app,
        ["submit", "--scheduler", "slurm", option, value, "surface-energy", "-m", "Cu",
         "--calculator", "emt", "--quick", "--data-dir", str(data_dir)],
    )  # fmt: skip
    assert res.exit_code == 2, res.output
    assert f"{option} must be an integer >= 1, got {value}; nothing was submitted" in _text(res)
    assert not data_dir.exists()


def test_pack_is_refused_for_jobflow_remote_naming_its_batch_workers(tmp_path):
    from typer.testing import CliRunner

    from lithiophilic.cli import app

    res = CliRunner().invoke(
        app,
        ["submit", "--remote", "p", "--pack", "10", "surface-energy", "-m", "Cu",
         "--data-dir", str(tmp_path / "d")],
    )  # fmt: skip
    assert res.exit_code == 2
    assert "--pack: only with --scheduler slurm" in _text(res)
    assert "'batch'" in _text(res)
