"""jobflow-remote with a real Mongo-wire server (secantusdb) as queue and job store, on Slurm."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from hpc_helpers import ROOT, cli_env, run_cli

pytestmark = [pytest.mark.slurm, pytest.mark.slow]


def test_remote_init_keeps_the_password_in_a_private_project_file(tmp_path):
    folder = tmp_path / "jfr"
    env = cli_env(JFREMOTE_PROJECTS_FOLDER=str(folder), LITHIOPHILIC_MONGO_PASSWORD="pw-s3cret")
    proc = run_cli(
        "remote", "init", "secure", "--mongo-host", "db.example.org", "--username", "alice",
        "--scheduler", "slurm", "--partition", "debug", env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    path = folder / "secure.yaml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "pw-s3cret" not in proc.stdout + proc.stderr
    assert "stored only in" in proc.stdout
    project = yaml.safe_load(path.read_text())
    assert project["queue"]["store"]["password"] == "pw-s3cret"
    assert project["jobstore"]["additional_stores"]["data"]["type"] == "GridFSStore"
    worker = project["workers"]["slurm_worker"]
    assert worker["scheduler_type"] == "slurm"
    assert worker["resources"]["partition"] == "debug"
    again = run_cli("remote", "init", "secure", env=env)
    assert again.returncode == 2
    assert "--force" in again.stderr
    bad = run_cli("remote", "init", "x", "--scheduler", "pbs", env=env)
    assert bad.returncode == 2
    assert "'slurm', 'shell'" in bad.stderr


def test_unreachable_database_and_wrong_credentials_are_clear_errors(tmp_path, mongo_server):
    dead = tmp_path / "dead.yaml"
    dead.write_text(
        "docs_store:\n  type: MongoStore\n  database: lith\n  collection_name: outputs\n"
        "  host: 127.0.0.1\n  port: 1\n  mongoclient_kwargs: {serverSelectionTimeoutMS: 500}\n"
    )
    proc = run_cli("db", "status", "--store", str(dead))
    assert proc.returncode == 2
    assert "unreachable" in proc.stderr
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(
        "docs_store:\n  type: MongoStore\n  database: lith\n  collection_name: outputs\n"
        f"  host: 127.0.0.1\n  port: {mongo_server['port']}\n  username: mallory\n"
        "  password: not-the-password\n  mongoclient_kwargs: {serverSelectionTimeoutMS: 2000}\n"
    )
    proc = run_cli("db", "status", "--store", str(wrong))
    if proc.returncode == 0:  # the server enforces no authentication: nothing to refuse
        pytest.skip("secantusdb runs without authentication; wrong credentials are accepted")
    assert proc.returncode == 2
    assert "cannot connect" in proc.stderr
    assert "not-the-password" not in proc.stderr + proc.stdout


def test_flow_submitted_with_jobflow_remote_runs_on_slurm(
    local_slurm, sleeper, mongo_server, tmp_path
):
    folder = tmp_path / "jfr"
    env = cli_env(JFREMOTE_PROJECTS_FOLDER=str(folder), **local_slurm.env())
    venv = Path(sys.executable).parent
    proc = run_cli(
        "remote", "init", "lith", "--mongo-port", str(mongo_server["port"]), "--database",
        "lithtest", "--partition", "debug", "--time", "00:10:00", "--work-dir",
        str(tmp_path / "work"), "--pre-run",
        f"export PATH={venv}:$PATH; export PYTHONPATH={ROOT / 'src'}; export OMP_NUM_THREADS=1",
        env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    path = folder / "lith.yaml"
    project = yaml.safe_load(path.read_text())
    project["runner"] = {
        "delay_checkout": 1,
        "delay_check_run_status": 1,
        "delay_advance_status": 1,
        "delay_refresh_limited": 5,
        "delay_update_batch": 5,
    }
    path.write_text(yaml.safe_dump(project))
    os.environ["JFREMOTE_PROJECTS_FOLDER"] = str(folder)
    try:
        from jobflow_remote import JobController

        JobController.from_project_name("lith").reset()  # = jf -p lith admin reset
        data = tmp_path / "data"
        proc = run_cli(
            "submit", "--remote", "lith", "surface-energy", "-m", "Cu", "--quick",
            "--calculator", "emt", "--miller", "111", "--data-dir", str(data), env=env,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        status = data / "status.json"
        run_cli("db", "status", "--data-dir", str(data), "--json", str(status), env=env)
        flow_uuid = json.loads(status.read_text())["jobs"][0]["uuid"]
        runner = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from jobflow_remote.jobs.runner import Runner; "
                "Runner(project_name='lith').run_all_jobs(max_seconds=400)",
            ],
            env=env,
            stdout=(tmp_path / "runner.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        try:
            from lithiophilic.hpc.remote import remote_job_states

            t0 = time.monotonic()
            while True:
                states = remote_job_states("lith", [flow_uuid])
                if states and set(states) <= {"COMPLETED"} and sum(states.values()) >= 6:
                    break
                if {"FAILED", "REMOTE_ERROR"} & set(states) or time.monotonic() - t0 > 300:
                    log = (tmp_path / "runner.log").read_text()[-3000:]
                    pytest.fail(f"jobflow-remote jobs: {states}\n{log}")
                time.sleep(2)
        finally:
            runner.terminate()
            runner.wait(timeout=30)
        from lithiophilic.db import get_store
        from lithiophilic.studies.surface import surface_energy_rows

        rows = surface_energy_rows(get_store(store="remote:lith"))
        assert len(rows) == 1
        assert 0.5 < rows[0]["gamma_relaxed_j_per_m2"] < 2.5
        shown = run_cli("db", "status", "--data-dir", str(data), "--remote", "lith", env=env)
        assert shown.returncode == 0, shown.stderr
        assert "COMPLETED" in shown.stdout
        run_cli("db", "status", "--data-dir", str(data), "--json", str(status), env=env)
        record = json.loads(status.read_text())["jobs"][0]
        assert record["scheduler"] == "jobflow-remote:lith"
        assert record["state"] == "COMPLETED"
    finally:
        os.environ.pop("JFREMOTE_PROJECTS_FOLDER", None)
