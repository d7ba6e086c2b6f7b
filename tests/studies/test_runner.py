"""Campaign stages in this process (the default) or each in its own: isolation, memory, one model load."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
import warnings

import pytest

from lithiophilic.potentials import REGISTRY, CalculatorBackend, get_calculator
from lithiophilic.potentials.classical import EMT_ELEMENTS, make_emt
from lithiophilic.potentials.registry import clear_calculator_cache, register_calculator
from lithiophilic.studies import li_sites, surface
from lithiophilic.studies.paper import PaperOptions, run
from lithiophilic.studies.runner import RSS_OWN_PROCESS, RSS_SAMPLED, RssSampler, run_stage


@pytest.fixture
def counted_emt(monkeypatch):
    """EMT registered as a cacheable backend (like the MLIPs), counting how often it is built.

    Registered in this process only, so the stages run here (no worker processes, which
    would not know the backend).
    """
    monkeypatch.setenv("LITHIOPHILIC_WORKERS", "1")
    built = []

    def factory(**kwargs):
        built.append(kwargs)
        return make_emt(**kwargs)

    register_calculator(
        CalculatorBackend(
            name="emt-shared",
            factory=factory,
            package="ase",
            kind="classical",
            description="EMT, one instance per process (test)",
            elements=EMT_ELEMENTS,
            cacheable=True,
        )
    )
    clear_calculator_cache()
    yield built
    REGISTRY.pop("emt-shared")
    clear_calculator_cache()


def test_a_cached_calculator_is_built_once_and_handed_out_without_results(counted_emt):
    from ase.build import bulk

    atoms = bulk("Cu", "fcc", a=3.6)
    calc = get_calculator("emt-shared")
    atoms.calc = calc
    energy = atoms.get_potential_energy()
    assert calc.results and calc.atoms is not None
    again = get_calculator("emt-shared")
    assert again is calc and len(counted_emt) == 1
    assert again.results == {} and again.atoms is None  # nothing of the last job is read
    other = bulk("Cu", "fcc", a=3.7)
    other.calc = again
    assert other.get_potential_energy() != energy
    assert clear_calculator_cache() == 1
    assert get_calculator("emt-shared") is not calc and len(counted_emt) == 2


def test_stages_in_one_process_share_one_model_load(tmp_path, counted_emt):
    """Two stages (surface for Cu, then for Ag) in this process build the calculator once."""
    data = tmp_path / "data"
    for material in ("Cu", "Ag"):
        opts = [surface.Options.quick(materials=[material], calculator="emt-shared")]
        res = run_stage(f"surface-{material}", opts, out_dir=tmp_path / "r", data_dir=data)
        assert res.status == "ok" and not res.own_process
        assert res.rss_measure == RSS_SAMPLED
        assert res.peak_rss_mib >= res.start_rss_mib > 50
    assert len(counted_emt) == 1
    assert "relax Ag bulk" in (tmp_path / "r/logs/surface-Ag.log").read_text()
    assert "relax Ag bulk" not in (tmp_path / "r/logs/surface-Cu.log").read_text()


def test_a_failed_stage_in_this_process_leaves_the_next_one_runnable(tmp_path):
    """EMT has no Li: the binding study is refused; logging, warnings and cwd are restored."""
    lith = logging.getLogger("lithiophilic")
    handlers, level, propagate = list(lith.handlers), lith.level, lith.propagate
    seen = []
    console = logging.Handler()  # stands for the CLI's console handler on the root logger
    console.emit = seen.append
    logging.getLogger().addHandler(console)
    filters, show, cwd = list(warnings.filters), warnings.showwarning, os.getcwd()
    data, out = tmp_path / "data", tmp_path / "r"
    bad = run_stage(
        "binding", [li_sites.Options.quick(calculator="emt")], out_dir=out, data_dir=data
    )
    assert bad.status == "failed (exit 2; see log)" and not bad.ok
    assert "not valid for element" in " ".join((out / "logs/binding.log").read_text().split())
    logging.getLogger().removeHandler(console)
    assert not [r for r in seen if r.name.startswith(("lithiophilic", "jobflow"))]
    assert (lith.handlers, lith.level, lith.propagate) == (handlers, level, propagate)
    assert warnings.filters == filters and warnings.showwarning is show and os.getcwd() == cwd
    good = run_stage(
        "surface",
        [surface.Options.quick(materials=["Cu"], calculator="emt")],
        out_dir=out,
        data_dir=data,
    )
    assert good.status == "ok" and (out / "data/surface.json").is_file()
    assert "not valid" not in (out / "logs/surface.log").read_text()


def test_stage_processes_run_each_stage_in_its_own_process(tmp_path):
    """The isolating mode: a child per stage, os.wait4 figures; a refused stage is reported."""
    options = PaperOptions.quick(
        stages=["surface", "binding"],
        materials=["Cu"],
        calculator="emt",
        out_dir=tmp_path / "r",
        stage_processes=True,
    )
    rep = run(options, data_dir=tmp_path / "data")
    surface_run, binding_run = rep.stages
    assert surface_run.own_process and surface_run.rss_measure == RSS_OWN_PROCESS
    assert surface_run.status == "ok" and surface_run.start_rss_mib is None
    assert binding_run.status == "failed (exit 2; see log)"
    assert len(rep.results["surface"].rows) == 2
    claims = (tmp_path / "r" / "claims.json").read_text()
    assert "one process per stage" in claims and '"own_process": true' in claims


def test_rss_sampler_sees_this_process_and_its_children():
    big = 200  # MiB
    with RssSampler(interval_s=0.05) as rss:
        blob = bytearray(big * 2**20)
        blob[::4096] = b"x" * len(blob[::4096])  # touch every page
        # hold it for a few sampling intervals: filling it holds the GIL, so a sampler thread
        # that has not run before the del never sees it (it failed so once in CI)
        time.sleep(0.3)
        del blob
    assert rss.peak_mib - rss.start_mib > 0.8 * big
    child = f"b = bytearray({big} * 2**20); b[::4096] = b'x' * len(b[::4096]); import time; time.sleep(1.5)"
    with RssSampler(interval_s=0.1) as rss:
        subprocess.run([sys.executable, "-c", child], check=True)
    assert rss.peak_mib - rss.start_mib > 0.8 * big  # the child's pages are counted


def test_flows_built_by_a_stage_cache_their_sqs_in_the_data_directory(
    tmp_path, monkeypatch, counted_emt
):
    """The SQS searched while a stage builds its flows goes to DATA_DIR/sqs-cache.

    The flows are built before the study opens its store; the cache must already point at the
    data directory then, or a re-run of the campaign searches every SQS again.
    """
    from lithiophilic.structures import SQS_CACHE_ENV
    from lithiophilic.structures.sqs import clear_sqs_memo
    from lithiophilic.studies import base

    monkeypatch.setattr(base, "_USER_SQS_CACHE", None)
    monkeypatch.setenv("LITHIOPHILIC_REUSE_COMPLETE_RUNS", "0")  # the re-run builds its flows
    monkeypatch.setenv(SQS_CACHE_ENV, "restored-after-the-test")
    monkeypatch.delenv(SQS_CACHE_ENV)
    clear_sqs_memo()
    data = tmp_path / "data"
    opts = [surface.Options.quick(materials=["Cu0.64Ag0.36"], calculator="emt-shared")]
    res = run_stage("surface-alloy", opts, out_dir=tmp_path / "r", data_dir=data)
    assert not res.status.startswith("failed")  # (EMT may leave a slab unconverged: exit 1)
    assert os.environ[SQS_CACHE_ENV] == str(data.resolve() / "sqs-cache")
    assert list((data / "sqs-cache").glob("*.json")), (
        "the SQS searched for the flows was not cached"
    )
    clear_sqs_memo()
    again = run_stage("surface-alloy", opts, out_dir=tmp_path / "r2", data_dir=data)
    assert not again.status.startswith("failed")
    log = (tmp_path / "r2/logs/surface-alloy.log").read_text()
    assert "SQS annealing: reused cached result" in log
    assert "candidate cells" not in log  # no annealing ran
