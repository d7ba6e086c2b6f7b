"""run_flows_locally(..., workers=N): jobflow's run_locally semantics in worker processes.

The tiny jobs live in ``parallel_jobs`` (next to this file, importable by the spawned
workers); the study test runs the single-Li binding study with SevenNet-0 both ways.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import pytest
from jobflow import Flow

sys.path.insert(0, str(Path(__file__).resolve().parent))
import parallel_jobs as pj

from lithiophilic.db import get_output_dict, get_store, get_tracking_store
from lithiophilic.errors import ConfigurationError
from lithiophilic.studies.base import effective_workers, run_flows_locally


def _run(ddir: Path, flows: dict[str, Flow], workers: int):
    store = get_store(data_dir=ddir)
    events: list = []
    failed = run_flows_locally(flows, store, data_dir=ddir, workers=workers, on_job=events.append)
    return store, failed, events


def _named(store, name: str) -> dict:
    doc = store.query_one({"name": name}, sort={"index": -1})
    assert doc is not None, name
    return doc["output"]


def _diversion_flows() -> dict[str, Flow]:
    fan = pj.fan_out(4, 10.0, seconds=1.5)
    after_fan = pj.add(fan.output["value"], 1)
    after_fan.name = "after fan"
    grow = pj.with_addition(5.0, seconds=1.0)
    after_grow = pj.add(grow.output["value"], 1)
    after_grow.name = "after addition"
    return {
        "fan": Flow([fan, after_fan], output=after_fan.output),
        "addition": Flow([grow, after_grow], output=after_grow.output),
    }


def _job_dirs(ddir: Path) -> int:
    return len(list((ddir / "runs").glob("job_*")))


def test_replace_and_addition_run_in_parallel_as_run_locally(tmp_path):
    serial_flows, parallel_flows = _diversion_flows(), _diversion_flows()
    serial, failed1, _ = _run(tmp_path / "serial", serial_flows, 1)
    store, failed2, events = _run(tmp_path / "parallel", parallel_flows, 2)
    assert failed1 == failed2 == {}
    for label in serial_flows:
        one = get_output_dict(serial, serial_flows[label].output.uuid)
        two = get_output_dict(store, parallel_flows[label].output.uuid)
        assert one["value"] == two["value"]
    assert get_output_dict(store, parallel_flows["fan"].output.uuid)["value"] == 47.0
    # the replacing jobs (created when 'fan_out' ran) ran side by side in two workers
    parts = [_named(store, f"part {i}") for i in range(4)]
    assert len({p["pid"] for p in parts}) == 2
    assert any(
        a["start"] < b["end"] and b["start"] < a["end"]
        for a in parts
        for b in parts
        if a["pid"] != b["pid"]
    )
    # children start only when the job and its diversions are done
    total = _named(store, "add_values")
    assert _named(store, "after fan")["start"] >= max(p["end"] for p in parts)
    assert _named(store, "after fan")["start"] >= total["end"]
    assert _named(store, "after addition")["start"] >= _named(store, "addition")["end"]
    # one job folder per job, as run_locally; a started and a finished event per job
    assert _job_dirs(tmp_path / "parallel") == _job_dirs(tmp_path / "serial") > 6
    kinds = [e.kind for e in events]
    assert kinds[0] == "planned"
    assert events[0].total == 4
    assert kinds.count("started") == kinds.count("finished") == _job_dirs(tmp_path / "parallel")


def _failing_flows() -> dict[str, Flow]:
    bad = pj.boom("kaput")
    child = pj.add(bad.output, 1)
    good = pj.add(1.0, 2.0)
    stop = pj.stop_here(1.0)
    stopped = pj.add(stop.output["value"], 1)
    return {
        "bad": Flow([bad, child], output=child.output),
        "good": Flow([good], output=good.output),
        "stop": Flow([stop, stopped], output=stopped.output),
    }


def test_failures_are_recorded_and_fail_children_only(tmp_path):
    serial_flows, flows = _failing_flows(), _failing_flows()
    _, failed1, _ = _run(tmp_path / "serial", serial_flows, 1)
    store, failed, events = _run(tmp_path / "parallel", flows, 2)
    bad_uuid = flows["bad"].jobs[0].uuid
    assert failed["bad"] == f"job 'boom' ({bad_uuid}) failed: RuntimeError: kaput"
    assert failed1["bad"].replace(serial_flows["bad"].jobs[0].uuid, bad_uuid) == failed["bad"]
    assert set(failed) == set(failed1) == {"bad", "stop"}  # stop_children: no output either
    record = get_tracking_store(store).query_one({"uuid": bad_uuid})
    assert record["state"] == "FAILED"
    assert record["reason"] == "RuntimeError: kaput"
    assert "kaput" in record["traceback"]
    assert get_output_dict(store, flows["bad"].jobs[1].uuid) is None  # its child did not run
    assert get_output_dict(store, flows["stop"].jobs[1].uuid) is None  # stopped child
    assert get_output_dict(store, flows["good"].output.uuid)["value"] == 3.0
    assert [e.name for e in events if e.kind == "failed"] == ["bad", "stop"]


def test_a_dying_worker_fails_its_job_not_the_run(tmp_path):
    dead = pj.die()
    child = pj.add(dead.output, 1)
    good = pj.add(1.0, 2.0, seconds=1.0)
    after = pj.add(good.output["value"], 1)
    flows = {
        "dies": Flow([dead, child], output=child.output),
        "good": Flow([good, after], output=after.output),
    }
    store, failed, _ = _run(tmp_path, flows, 2)
    assert list(failed) == ["dies"]
    assert "WorkerDied" in failed["dies"]
    assert "SIGKILL" in failed["dies"]
    assert get_output_dict(store, flows["good"].output.uuid)["value"] == 4.0
    record = get_tracking_store(store).query_one({"uuid": dead.uuid})
    assert record["state"] == "FAILED"
    assert record["reason"].startswith("WorkerDied: worker process")


def test_memory_store_and_bad_worker_counts_are_refused(memory_jobstore, tmp_path):
    from lithiophilic.studies import li_sites, pdos

    flow = Flow([pj.add(1.0, 2.0)])
    with pytest.raises(ConfigurationError, match="workers: the job store"):
        run_flows_locally({"a": flow}, memory_jobstore, data_dir=tmp_path, workers=2)
    with pytest.raises(ConfigurationError, match="workers: 0"):
        run_flows_locally({"a": flow}, get_store(data_dir=tmp_path), data_dir=tmp_path, workers=0)
    cores = os.cpu_count() or 1
    with pytest.raises(ConfigurationError, match=r"workers: .*number of cores"):
        li_sites.Options.quick(workers=cores + 1)
    with pytest.raises(ConfigurationError, match="workers: "):
        li_sites.Options.quick(workers=0)
    if cores >= 2:
        with pytest.raises(ConfigurationError, match=r"workers: 2 .*DFT"):
            li_sites.Options.quick(calculator="gpaw", workers=2)
        with pytest.raises(ConfigurationError, match=r"workers: 2 .*PDOS"):
            pdos.Options.quick(workers=2)
        assert li_sites.Options.quick(workers=2).workers == 2


@pytest.mark.mlip
@pytest.mark.slow
def test_binding_study_same_documents_with_two_workers(tmp_path):
    """Single Li on Cu(111) (quick, 2 sites: a fan-out created at run time) both ways."""
    import torch

    from lithiophilic.studies import li_sites

    options = li_sites.Options.quick(materials=["Cu"], max_sites=2)
    results, energies, threads = {}, {}, {}
    before = torch.get_num_threads()
    torch.set_num_threads(2)  # the serial run must still evaluate on one thread
    try:
        for workers in (1, 2):
            ddir = tmp_path / f"w{workers}"
            opts = options.updated(workers=workers)
            store = get_store(data_dir=ddir)
            results[workers] = li_sites.run(opts, store, data_dir=ddir)
            calcs = store.query(
                {"output.doc_type": "ase_calc"},
                properties=["output.cache_key", "output.energy_ev", "output.torch_threads"],
            )
            calcs = list(calcs)
            energies[workers] = {d["output"]["cache_key"]: d["output"]["energy_ev"] for d in calcs}
            threads[workers] = {d["output"]["torch_threads"] for d in calcs}
            if workers == 1:
                assert torch.get_num_threads() == 2  # given back after the run
    finally:
        torch.set_num_threads(before)
    assert results[1].complete and results[2].complete
    assert threads[1] == threads[2] == {1}
    # one thread both ways: the same inputs, the same bits (same cache keys, same energies)
    assert energies[1] == energies[2]
    assert len(energies[1]) >= 4  # bulk, slab, Li reference, 2 sites (+ substrate checks)
    rows1 = sorted(results[1].site_rows, key=lambda r: str(r.get("site_label")))
    rows2 = sorted(results[2].site_rows, key=lambda r: str(r.get("site_label")))
    assert len(rows1) == len(rows2) == 2
    for one, two in zip(rows1, rows2, strict=True):
        for key, value in one.items():
            if key.endswith("_ev") and isinstance(value, float):
                assert two[key] == value, key


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs 2 cores")
def test_paper_gives_workers_to_the_mlip_and_one_rank_md_stages(tmp_path, monkeypatch):
    monkeypatch.delenv("LITHIOPHILIC_WORKERS", raising=False)  # the suite sets it (conftest)
    from lithiophilic.studies.aggregation_teacher import flow_groups
    from lithiophilic.studies.paper import PaperOptions, stage_options

    store = get_store(data_dir=tmp_path)
    stages = ["surface", "pdos", "binding", "md"]
    options = PaperOptions.quick(workers=2, stages=stages)
    got = {
        type(o).study: effective_workers(o, store)
        for opts in stage_options(options).values()
        for o in opts
    }
    assert got == {"surface": 2, "pdos": 1, "li_sites": 2, "li_layers": 2, "aggregation": 2}
    # full: the production MD runs on 2 MPI ranks, one replica at a time; the teacher
    # check's one-thread ASE replicas run side by side after it
    full = PaperOptions(stages=["md"], md_teacher="sevenn", nprocs=2)
    (md,) = stage_options(full)["md"]
    assert md.n_mpi == 2 and effective_workers(md, store) == 1
    with pytest.raises(ConfigurationError, match=r"workers: 2 .*n_mpi=2"):
        md.updated(workers=2)
    groups = flow_groups(
        md, {"Cu": "own", "Cu [teacher, ASE sevenn]": "t", "Cu [potential, ASE x]": "p"}
    )
    assert [dict(g) for _, g in groups] == [
        {"Cu": "own"},
        {"Cu [teacher, ASE sevenn]": "t", "Cu [potential, ASE x]": "p"},
    ]
    assert [effective_workers(o, store) for o, _ in groups] == [1, 2]
    with pytest.raises(ConfigurationError, match=r"workers: 2 .*'gpaw' is DFT"):
        PaperOptions.quick(workers=2, calculator="gpaw")


def test_default_workers_are_the_usable_cores_where_the_store_allows(
    tmp_path, memory_jobstore, monkeypatch
):
    monkeypatch.delenv("LITHIOPHILIC_WORKERS", raising=False)  # the suite sets it (conftest)
    from lithiophilic.studies.base import usable_cores
    from lithiophilic.studies.paper import PaperOptions, stage_options

    cores = usable_cores()
    assert 1 <= cores <= (os.cpu_count() or 1)
    options = PaperOptions.quick(stages=["surface", "pdos", "binding", "md"])
    assert options.workers is None
    staged = [o for opts in stage_options(options).values() for o in opts]
    embedded = {type(o).study: effective_workers(o, get_store(data_dir=tmp_path)) for o in staged}
    assert embedded == {
        "surface": cores,
        "pdos": 1,
        "li_sites": cores,
        "li_layers": cores,
        "aggregation": cores,
    }
    # worker processes cannot reach a store in this process's memory: one process
    assert {effective_workers(o, memory_jobstore) for o in staged} == {1}
    # a DFT calculator runs serially by default (no error: nobody asked for workers)
    from lithiophilic.studies import li_sites

    assert (
        effective_workers(li_sites.Options.quick(calculator="gpaw"), get_store(data_dir=tmp_path))
        == 1
    )


def test_default_workers_fit_in_the_available_memory(tmp_path, monkeypatch):
    import psutil

    from lithiophilic.studies import li_sites
    from lithiophilic.studies import workers as w

    store = get_store(data_dir=tmp_path)
    options = li_sites.Options.quick()
    real = psutil.virtual_memory()
    gib = 2**30

    def available(n_gib: float):
        return lambda: real._replace(available=int(n_gib * gib))

    monkeypatch.delenv(w.WORKERS_ENV, raising=False)  # the suite sets it (conftest)
    monkeypatch.setattr(w, "usable_cores", lambda: 8)
    monkeypatch.setattr(psutil, "virtual_memory", available(4.0))
    assert effective_workers(options, store) == int(4.0 / w.WORKER_MEMORY_GIB)
    monkeypatch.setattr(psutil, "virtual_memory", available(0.5))
    assert effective_workers(options, store) == 1  # never 0
    monkeypatch.setattr(psutil, "virtual_memory", available(64.0))
    assert effective_workers(options, store) == 8  # the cores cap it
    assert effective_workers(options.updated(workers=1), store) == 1  # asked: no cap applied


def test_workers_environment_variable_replaces_the_automatic_choice(tmp_path, monkeypatch):
    from lithiophilic.studies import li_sites
    from lithiophilic.studies import workers as w

    store = get_store(data_dir=tmp_path)
    options = li_sites.Options.quick()
    monkeypatch.setenv(w.WORKERS_ENV, "1")
    assert effective_workers(options, store) == 1
    if (os.cpu_count() or 1) >= 2:
        monkeypatch.setenv(w.WORKERS_ENV, "2")
        assert effective_workers(options, store) == 2
        assert effective_workers(options.updated(workers=1), store) == 1  # explicit wins
    for bad in ("0", "two", str((os.cpu_count() or 1) + 1)):
        monkeypatch.setenv(w.WORKERS_ENV, bad)
        with pytest.raises(ConfigurationError, match="LITHIOPHILIC_WORKERS"):
            effective_workers(options, store)


def test_one_thread_pins_torch_and_blas_and_gives_them_back():
    import torch
    from threadpoolctl import threadpool_info

    from lithiophilic.studies.base import one_thread

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with one_thread():
            assert torch.get_num_threads() == 1
            assert {p["num_threads"] for p in threadpool_info()} == {1}
        assert torch.get_num_threads() == 2
        with one_thread(enabled=False):
            assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize(
    "argv",
    [
        ["binding", "--quick", "-m", "Cu", "--workers", "0"],
        ["surface-energy", "--quick", "-m", "Cu", "--workers", str((os.cpu_count() or 1) + 1)],
        ["paper", "--quick", "--workers", "0"],
    ],
)
def test_cli_workers_flag_is_checked_before_anything_runs(argv, in_tmp):
    from typer.testing import CliRunner

    from lithiophilic.cli import app

    got = CliRunner().invoke(app, argv)
    assert got.exit_code == 2, got.output
    assert "workers" in got.output
    assert not (in_tmp / "lithiophilic-data" / "runs").exists()


def test_cli_workers_flag_reaches_the_options():
    import lithiophilic.cli  # noqa: F401  (registers the commands)
    from lithiophilic.cli.common import STUDY_COMMANDS
    from lithiophilic.cli.paper import paper_options

    command = STUDY_COMMANDS["surface-energy"]
    params = {"quick": True, "material": ["Cu"], "workers": 1, "keep_trajectory": False}
    assert command.options_from_params(params).workers == 1
    if (os.cpu_count() or 1) >= 2:
        params["workers"] = 2
        assert command.options_from_params(params).workers == 2
        assert paper_options(quick=True, workers=2).workers == 2


def test_worker_log_records_reach_this_process(tmp_path, caplog):
    jobs = [pj.shout(f"hello {i}") for i in range(3)]
    flows = {f"s{i}": Flow([j], output=j.output) for i, j in enumerate(jobs)}
    with caplog.at_level(logging.WARNING, logger="lithiophilic.tests"):
        _, failed, _ = _run(tmp_path, flows, 2)
    assert failed == {}
    got = [r for r in caplog.records if r.name == "lithiophilic.tests"]
    assert sorted(r.getMessage().split(" from ")[0] for r in got) == [
        "hello 0",
        "hello 1",
        "hello 2",
    ]
    assert all(int(r.getMessage().split(" from ")[1]) != os.getpid() for r in got)


def _emt_statics() -> dict[str, Flow]:
    """Three EMT single points of Cu cells (lithiophilic jobs: tried in the coordinator first)."""
    from ase.build import bulk
    from pymatgen.io.ase import AseAtomsAdaptor

    from lithiophilic.potentials import CalculatorSpec
    from lithiophilic.workflows.base import AseStaticMaker

    maker = AseStaticMaker(calculator=CalculatorSpec("emt"))
    jobs = [
        maker.make(AseAtomsAdaptor.get_structure(bulk("Cu", "fcc", a=a, cubic=True)))
        for a in (3.55, 3.60, 3.65)
    ]
    for i, j in enumerate(jobs):
        j.name = f"static {i}"  # (jobs of one name run one after the other)
    return {f"static-{i}": Flow([j], output=j.output) for i, j in enumerate(jobs)}


def test_stored_results_are_reused_here_without_starting_a_worker(tmp_path, monkeypatch, caplog):
    """Jobs that compute go to workers; the same jobs again (reused) start no worker at all.

    Each job's start is logged once, whether it was tried here first and then ran in a
    worker (first run) or ran here (second run).
    """
    from lithiophilic.studies import parallel

    caplog.set_level(logging.INFO)

    started: list[int] = []

    class CountedWorker(parallel._Worker):
        def __init__(self, *args, **kwargs):
            started.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(parallel, "_Worker", CountedWorker)
    store, failed, _ = _run(tmp_path, _emt_statics(), workers=2)
    assert not failed
    assert len(started) == 2  # three computing jobs: two workers, started when needed
    first = store.query({"output.doc_type": "ase_calc"}, properties=["uuid", "output"])
    first = {d["output"]["cache_key"]: d for d in first}
    assert len(first) == 3
    assert all(d["output"].get("reused_from_uuid") is None for d in first.values())
    assert {d["output"]["torch_threads"] for d in first.values()} <= {None, 1}  # in workers
    starts = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Starting job")]
    assert sorted(m.split(" (")[0] for m in starts) == [
        f"Starting job - static {i}" for i in range(3)
    ]

    caplog.clear()
    started.clear()
    store, failed, events = _run(tmp_path, _emt_statics(), workers=2)
    assert not failed
    assert started == []
    docs = list(store.query({"output.doc_type": "ase_calc"}, properties=["uuid", "output"]))
    reused = [d["output"] for d in docs if d["output"].get("reused_from_uuid")]
    assert len(reused) == 3
    for out in reused:
        original = first[out["cache_key"]]
        assert out["reused_from_uuid"] == original["uuid"]
        assert out["energy_ev"] == original["output"]["energy_ev"]
    assert [e.kind for e in events].count("finished") == 3
    starts = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Starting job")]
    assert len(starts) == 3
    assert any("reusing stored result" in r.getMessage() for r in caplog.records)


def test_a_deferred_calculator_is_not_an_exception_a_job_can_swallow():
    """Inside defer_calculators, get_calculator signals past ``except Exception``."""
    from lithiophilic.potentials import get_calculator
    from lithiophilic.potentials.registry import CalculatorDeferred, defer_calculators

    def job_that_records_its_failures():
        try:
            return get_calculator("emt")
        except Exception:  # e.g. a NEB job storing "failed" as its outcome
            return "swallowed"

    with defer_calculators(), pytest.raises(CalculatorDeferred):
        job_that_records_its_failures()
    assert job_that_records_its_failures() != "swallowed"  # outside: a calculator


def test_a_job_tried_here_holds_only_its_own_threads_log_records(caplog):
    """Records of other threads (a progress display, a memory sampler) are never held back."""
    import threading

    from lithiophilic.studies import parallel

    caplog.set_level(logging.INFO, logger="lithiophilic.tests")
    log = logging.getLogger("lithiophilic.tests")
    with parallel._held_log() as held:
        log.info("from the job")
        other = threading.Thread(target=log.info, args=("from another thread",))
        other.start()
        other.join()
    assert [r.getMessage() for r in held.records] == ["from the job"]
    assert [r.getMessage() for r in caplog.records] == ["from another thread"]
