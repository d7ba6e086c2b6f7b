"""A re-run of a complete study run (same options, same code) runs no job and stores nothing."""

from __future__ import annotations

import json

import pytest

from lithiophilic.db import get_store
from lithiophilic.studies import complete_runs, surface


def _run(data, options):
    started = []
    store = get_store(data_dir=data)
    result = surface.run(
        options,
        store=store,
        data_dir=data,
        on_job=lambda e: started.append(e.name) if e.kind == "started" else None,
    )
    return result, started, store.docs_store.count()


@pytest.fixture
def options(monkeypatch):
    monkeypatch.setenv("LITHIOPHILIC_WORKERS", "1")
    monkeypatch.delenv(complete_runs.ENV, raising=False)
    return surface.Options.quick(materials=["Cu"], calculator="emt", millers=[[1, 1, 1]])


def test_a_complete_run_is_recorded_and_its_rerun_runs_nothing(tmp_path, options):
    data = tmp_path / "data"
    first, started, n_docs = _run(data, options)
    assert first.complete and started  # jobs ran
    records = list((data / complete_runs.DIRECTORY).glob("surface-*.json"))
    assert len(records) == 1
    doc = json.loads(records[0].read_text())
    assert doc["key"] == complete_runs.run_key(options) and set(doc["outputs"]) == {"Cu"}

    again, started_again, n_again = _run(data, options)
    assert started_again == [] and n_again == n_docs  # no job, no new document
    assert again.model_dump(exclude={"failed"}) == first.model_dump(exclude={"failed"})
    # workers do not change a result, so not the key either
    assert complete_runs.run_key(options.updated(workers=2)) == complete_runs.run_key(options)

    # another setting is another run: its jobs start (and reuse the stored results by key)
    other = options.updated(slab_fmax_ev_per_a=0.04)
    assert complete_runs.run_key(other) != complete_runs.run_key(options)
    _, started_other, _ = _run(data, other)
    assert started_other


def test_a_record_whose_outputs_left_the_store_is_ignored(tmp_path, options):
    data = tmp_path / "data"
    _run(data, options)
    record = next((data / complete_runs.DIRECTORY).glob("surface-*.json"))
    uuid = json.loads(record.read_text())["outputs"]["Cu"]
    store = get_store(data_dir=data)
    store.connect()
    store.docs_store.remove_docs({"uuid": uuid})
    again, started, _ = _run(data, options)
    assert started and again.complete  # ran again (the other jobs reused by cache key)


def test_records_can_be_switched_off(tmp_path, options, monkeypatch):
    monkeypatch.setenv(complete_runs.ENV, "0")
    data = tmp_path / "data"
    _run(data, options)
    assert not (data / complete_runs.DIRECTORY).exists()
    _, started, _ = _run(data, options)
    assert started


def test_the_key_follows_the_content_of_the_files_the_options_name(tmp_path):
    from ase.build import bulk
    from ase.io import write

    path = tmp_path / "Cu.cif"
    write(path, bulk("Cu", "fcc", a=3.61, cubic=True))
    opts = surface.Options.quick(materials=[str(path)], calculator="emt")
    key = complete_runs.run_key(opts)
    write(path, bulk("Cu", "fcc", a=3.62, cubic=True))
    assert complete_runs.run_key(opts) != key


def test_a_saved_stage_with_a_stored_complete_run_builds_no_flows(tmp_path, options, monkeypatch):
    """``paper``'s stages (runner.run_saved) skip building flows the store already answers."""
    from lithiophilic.studies.runner import run_saved

    data = tmp_path / "data"
    path = options.save(tmp_path / "surface.json")
    assert run_saved([("surface", path)], data_dir=data, results_dir=tmp_path / "r1") == 0

    def no_build(opts):
        msg = "flows built although a complete run is stored"
        raise AssertionError(msg)

    monkeypatch.setattr(surface, "build_flows", no_build)
    assert run_saved([("surface", path)], data_dir=data, results_dir=tmp_path / "r2") == 0
    first = json.loads((tmp_path / "r1/surface.json").read_text())
    second = json.loads((tmp_path / "r2/surface.json").read_text())
    assert second == first


def test_flows_handed_to_run_are_run_and_not_recorded(tmp_path, options):
    """Flows other than the study's own (e.g. atomate2 Makers composed in) are always run."""
    data = tmp_path / "data"
    _run(data, options)  # the study's own flows: recorded
    started = []
    result = surface.run(
        options,
        store=get_store(data_dir=data),
        data_dir=data,
        flows=surface.build_flows(options),  # not marked as built from these options
        on_job=lambda e: started.append(e.name) if e.kind == "started" else None,
    )
    assert started and result.complete  # ran (its jobs reused by cache key), record not used
    assert len(list((data / complete_runs.DIRECTORY).glob("*.json"))) == 1
