"""`lithiophilic db status|list|show|export` on a real embedded store, and large arrays."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from jobflow import Flow, job, run_locally
from typer.testing import CliRunner

from lithiophilic.cli import app
from lithiophilic.db import get_store, show_document


@job(data="dos_states_per_ev")
def _dos_job(n: int) -> dict:
    energies = np.linspace(-10, 5, n)
    return {
        "doc_type": "test_dos",
        "material": "Cu",
        "n_points": n,
        "dos_states_per_ev": np.exp(-(energies**2)).tolist(),
    }


@job
def _diverging_relaxation() -> dict:
    msg = "relaxation did not converge in 3 steps"
    raise RuntimeError(msg)


@pytest.fixture
def filled(tmp_path):
    data = tmp_path / "db"
    store = get_store(data_dir=data)
    flow = Flow([_dos_job(200_000)])
    run_locally(flow, store=store, create_folders=True, root_dir=tmp_path, log=False)
    return data, flow.jobs[0].uuid


def test_large_arrays_go_to_the_additional_store(filled):
    data, uuid = filled
    store = get_store(data_dir=data)
    raw = show_document(store, uuid)
    ref = raw["output"]["dos_states_per_ev"]
    assert isinstance(ref, dict)  # a reference, not 200 000 numbers in the main document
    assert ref["@class"] == "OutputReference" or "blob_uuid" in ref
    assert store.additional_stores["data"].count() == 1
    loaded = show_document(store, uuid, load=True)
    assert len(loaded["output"]["dos_states_per_ev"]) == 200_000


def test_db_commands(filled, tmp_path):
    data, uuid = filled
    runner = CliRunner()
    res = runner.invoke(
        app, ["db", "status", "--data-dir", str(data), "--json", str(tmp_path / "s.json")]
    )
    assert res.exit_code == 0, res.output
    status = json.loads((tmp_path / "s.json").read_text())
    assert status["outputs"] == {"test_dos": 1}
    assert status["jobs"] == []
    res = runner.invoke(app, ["db", "list", "--data-dir", str(data)])
    assert res.exit_code == 0
    assert uuid in res.output
    res = runner.invoke(app, ["db", "show", uuid, "--data-dir", str(data)])
    assert res.exit_code == 0
    assert '"n_points": 200000' in res.output
    res = runner.invoke(app, ["db", "export", str(tmp_path / "x.csv"), "--data-dir", str(data)])
    assert res.exit_code == 0
    rows = list(csv.DictReader((tmp_path / "x.csv").open()))
    assert len(rows) == 1
    assert rows[0]["material"] == "Cu"
    assert rows[0]["n_points"] == "200000"
    res = runner.invoke(app, ["db", "export", str(tmp_path / "x.json"), "--data-dir", str(data)])
    assert res.exit_code == 0
    assert json.loads((tmp_path / "x.json").read_text())[0]["uuid"] == uuid
    res = runner.invoke(app, ["results", "--data-dir", str(data)])  # the old command still works
    assert res.exit_code == 0
    assert "test_dos" in res.output


def test_db_command_errors(tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["db", "show", "no-such-uuid", "--data-dir", str(tmp_path)])
    assert res.exit_code == 2
    assert "no stored document with uuid 'no-such-uuid'" in res.output
    res = runner.invoke(
        app, ["db", "export", str(tmp_path / "x.xlsx"), "--data-dir", str(tmp_path)]
    )
    assert res.exit_code == 2
    assert "use .json or .csv" in res.output
    res = runner.invoke(app, ["db", "list", "--store", str(tmp_path / "missing.yaml")])
    assert res.exit_code == 2
    assert "nor an existing JobStore file" in " ".join(res.output.split())


def test_unknown_remote_project_store(tmp_path, monkeypatch):
    from lithiophilic.errors import ConfigurationError

    monkeypatch.setenv("JFREMOTE_PROJECTS_FOLDER", str(tmp_path / "empty"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigurationError, match="jobflow-remote project 'nope'"):
        get_store(store="remote:nope")


def test_db_show_of_a_failed_local_job_shows_its_state_and_traceback(tmp_path):
    from lithiophilic.studies.base import run_flows_locally

    data = tmp_path / "db"
    store = get_store(data_dir=data)
    relax = _diverging_relaxation()
    flow = Flow([relax], output=relax.output, name="diverging")
    failed = run_flows_locally({"diverging": flow}, store, data_dir=data)
    uuid = flow.jobs[0].uuid
    assert uuid in failed["diverging"]
    res = CliRunner().invoke(app, ["db", "show", uuid, "--data-dir", str(data)])
    assert res.exit_code == 0, res.output
    record = json.loads(res.stdout)
    assert record["uuid"] == uuid
    assert record["state"] == "FAILED"
    assert record["scheduler"] == "local"
    assert "relaxation did not converge in 3 steps" in record["reason"]
    assert "Traceback" in record["traceback"]
    assert show_document(store, "no-such-uuid") is None
