"""`lithiophilic submit --scheduler slurm` on a real single-node Slurm cluster."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest
from hpc_helpers import cli_env, run_cli

pytestmark = [pytest.mark.slurm, pytest.mark.slow]


def _wait_final(data_dir: Path, env: dict[str, str], timeout_s: float) -> list[dict]:
    t0 = time.monotonic()
    status = data_dir / "status.json"
    while True:
        proc = run_cli("db", "status", "--data-dir", str(data_dir), "--json", str(status), env=env)
        assert proc.returncode == 0, proc.stderr
        jobs = json.loads(status.read_text())["jobs"]
        if jobs and all(j["state"] in ("COMPLETED", "FAILED", "CANCELLED") for j in jobs):
            return jobs
        if time.monotonic() - t0 > timeout_s:
            pytest.fail(f"Slurm jobs not finished after {timeout_s} s: {jobs}")
        time.sleep(2)


def test_submitted_flow_completes_and_its_results_are_in_the_database(
    local_slurm, sleeper, tmp_path
):
    env = cli_env(**local_slurm.env())
    data_dir = tmp_path / "data"
    proc = run_cli(
        "submit",
        "--scheduler",
        "slurm",
        "--partition",
        "debug",
        "--time",
        "00:10:00",
        "surface-energy",
        "-m",
        "Cu",
        "--quick",
        "--calculator",
        "emt",
        "--miller",
        "111",
        "--data-dir",
        str(data_dir),
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "make_slab_jobs Cu" in proc.stdout
    jobs = _wait_final(data_dir, env, 240)
    assert [j["state"] for j in jobs] == ["COMPLETED", "COMPLETED"], jobs
    bulk, fan = jobs
    assert fan["depends_on"] == [bulk["slurm_job_id"]]  # --dependency=afterok:<bulk>
    from lithiophilic.db import get_store
    from lithiophilic.studies.surface import surface_energy_rows

    rows = surface_energy_rows(get_store(data_dir=data_dir))
    assert len(rows) == 1
    assert rows[0]["calculator"] == "emt"
    assert 0.5 < rows[0]["gamma_relaxed_j_per_m2"] < 2.5  # EMT Cu(111)
    listing = run_cli("db", "list", "--type", "surface_energy", "--data-dir", str(data_dir))
    assert rows[0]["uuid"] in listing.stdout


def test_python_api_submits_a_study_to_slurm(local_slurm, tmp_path, monkeypatch):
    """submit_study: the same Options a notebook runs locally, as Slurm jobs."""
    from lithiophilic.db import get_store
    from lithiophilic.hpc.slurm import SlurmResources
    from lithiophilic.hpc.submit import submit_study
    from lithiophilic.studies import surface
    from lithiophilic.studies.surface import surface_energy_rows

    env = cli_env(**local_slurm.env())
    for key in ("PATH", "PYTHONPATH", "OMP_NUM_THREADS", *local_slurm.env()):
        monkeypatch.setenv(key, env[key])
    monkeypatch.setenv("LITHIOPHILIC_SQS_CACHE", str(tmp_path / "sqs"))
    monkeypatch.delenv("LITHIOPHILIC_STORE", raising=False)
    data_dir = tmp_path / "data"
    options = surface.Options.quick(materials=["Cu"], calculator="emt", millers=[[1, 1, 1]])
    records = submit_study(
        surface,
        options,
        target=SlurmResources(partition="debug", time="00:10:00"),
        data_dir=data_dir,
    )
    assert len(records) == 2  # bulk relaxation, then the slab fan-out
    assert records[1]["depends_on"] == [records[0]["slurm_job_id"]]
    assert records[0]["command"].startswith("lithiophilic.studies.surface: {")
    jobs = _wait_final(data_dir, env, 240)
    assert [j["state"] for j in jobs] == ["COMPLETED", "COMPLETED"], jobs
    result = surface.collect(get_store(data_dir=data_dir), options)
    assert result.complete
    (row,) = surface_energy_rows(get_store(data_dir=data_dir))
    assert 0.5 < row["gamma_relaxed_j_per_m2"] < 2.5  # EMT Cu(111)


def test_missing_sbatch_is_a_clear_error_and_submits_nothing(tmp_path):
    env = cli_env(PATH=str(Path(sys.executable).parent))
    data_dir = tmp_path / "data"
    proc = run_cli(
        "submit", "--scheduler", "slurm", "surface-energy", "-m", "Cu", "--calculator", "emt",
        "--data-dir", str(data_dir), env=env,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "'sbatch' was not found on PATH" in proc.stderr
    assert not (data_dir / "slurm").exists()


def test_unknown_partition_is_a_clear_error(local_slurm, tmp_path):
    env = cli_env(**local_slurm.env())
    proc = run_cli(
        "submit", "--scheduler", "slurm", "--partition", "nosuchpart", "surface-energy", "-m",
        "Cu", "--calculator", "emt", "--quick", "--data-dir", str(tmp_path / "d"), env=env,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "sbatch refused" in proc.stderr
    assert "partition" in proc.stderr.lower()


def test_bad_submit_options(tmp_path):
    proc = run_cli("submit", "surface-energy", "-m", "Cu")
    assert proc.returncode == 2
    assert "exactly one of --scheduler slurm or --remote" in proc.stderr
    proc = run_cli("submit", "--scheduler", "slurm", "--time", "soon", "surface-energy")
    assert proc.returncode == 2
    assert "--time: 'soon' is not a Slurm time" in proc.stderr


def test_job_killed_at_the_time_limit_is_marked_failed_with_the_reason(local_slurm, sleeper):
    data_dir, records = sleeper
    env = cli_env(**local_slurm.env())
    jobs = _wait_final(data_dir, env, 180)
    assert len(jobs) == 1
    assert jobs[0]["state"] == "FAILED"
    assert "TIMEOUT" in jobs[0]["reason"]
    assert "time limit" in jobs[0]["reason"]
    assert jobs[0]["slurm_job_id"] == records[0]["slurm_job_id"]


def test_paper_submitted_to_slurm_runs_its_stage_then_a_report_job(local_slurm, tmp_path):
    """`paper --submit slurm`: the stage's jobs, then a report job that reuses their results."""
    env = cli_env(**local_slurm.env())
    data_dir, out_dir = tmp_path / "data", tmp_path / "report"
    proc = run_cli(
        "paper", "--submit", "slurm", "--partition", "debug", "--time", "00:10:00",
        "--stage", "surface", "--material", "Cu", "--calculator", "emt", "--quick",
        "--out", str(out_dir), "--data-dir", str(data_dir), env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "report job runs after every stage job" in proc.stdout
    assert not (out_dir / "report.md").exists()  # nothing was run here
    jobs = _wait_final(data_dir, env, 300)
    states = {j["name"]: j["state"] for j in jobs}
    assert set(states.values()) == {"COMPLETED"}, jobs
    report = next(j for j in jobs if j["name"] == "paper-report")
    stage_ids = {j["slurm_job_id"] for j in jobs if j["name"] != "paper-report"}
    assert len(stage_ids) == 2  # bulk relaxation, then the slab fan-out (afterok on it)
    assert set(report["depends_on"]) == stage_ids
    # the report job runs the campaign again from its saved options: the stage reused the results
    assert "-m lithiophilic.studies.paper " in report["command"]
    saved = json.loads((out_dir / "options" / "paper.json").read_text())
    assert saved["stages"] == ["surface"] and saved["materials"] == ["Cu"]
    log = (out_dir / "logs" / "surface.log").read_text()
    assert "relax Cu bulk: reusing stored result" in log
    summary = json.loads((out_dir / "data" / "surface.json").read_text())
    rows = summary["rows"] if isinstance(summary, dict) else summary
    assert {r["material"] for r in rows} == {"Cu"}
    assert all(r["calculator"] == "emt" for r in rows)
    text = (out_dir / "report.md").read_text()
    assert "fig5a" in text
    assert "pdos" not in json.loads((out_dir / "claims.json").read_text()).get("stages", {})


def test_paper_submit_rejects_an_unknown_target(tmp_path):
    proc = run_cli("paper", "--submit", "pbs", "--out", str(tmp_path / "r"))
    assert proc.returncode == 2
    assert "--submit: 'pbs' is not allowed; use 'slurm' or 'remote:PROJECT'" in proc.stderr


def test_paper_submission_that_fails_at_a_later_stage_cancels_what_it_submitted(
    local_slurm, tmp_path
):
    env = cli_env(**local_slurm.env())
    data_dir = tmp_path / "data"
    proc = run_cli(
        "paper", "--submit", "slurm", "--partition", "debug", "--time", "00:10:00",
        "--stage", "surface", "--stage", "binding", "--material", "Cu", "--calculator", "emt",
        "--quick", "--out", str(tmp_path / "r"), "--data-dir", str(data_dir),
        "--pre-run", "sleep 20",  # the surface jobs cannot finish before they are cancelled
        env=env,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "paper submission aborted: stage binding" in proc.stdout + proc.stderr
    jobs = _wait_final(data_dir, env, 120)
    assert jobs and {j["state"] for j in jobs} == {"CANCELLED"}, jobs
    assert "paper-report" not in {j["name"] for j in jobs}
    assert all("stage binding" in j["reason"] for j in jobs)
