"""A VASP study submitted to Slurm where VASP is missing: its first job fails at its start."""

from __future__ import annotations

import json
import time

import pytest
from hpc_helpers import cli_env, run_cli

pytestmark = [pytest.mark.slurm, pytest.mark.slow]


def test_submitted_vasp_job_fails_at_start_naming_what_to_set(local_slurm, tmp_path):
    env = cli_env(**local_slurm.env())
    for name in ("ASE_VASP_COMMAND", "VASP_COMMAND", "PMG_VASP_PSP_DIR", "ATOMATE2_VASP_CMD"):
        env.pop(name, None)
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
        "vasp",
        "--miller",
        "111",
        "--data-dir",
        str(data_dir),
        env=env,
    )
    # submitting needs no VASP here: it exists only on the compute node (after --pre-run)
    assert proc.returncode == 0, proc.stderr
    assert "bulk relax (cell) Cu" in proc.stdout
    status = data_dir / "status.json"
    t0 = time.monotonic()
    while True:
        out = run_cli("db", "status", "--data-dir", str(data_dir), "--json", str(status), env=env)
        assert out.returncode == 0, out.stderr
        jobs = {j["name"]: j for j in json.loads(status.read_text())["jobs"]}
        first = jobs.get("bulk relax (cell) Cu", {})
        if first.get("state") in ("COMPLETED", "FAILED", "CANCELLED"):
            break
        if time.monotonic() - t0 > 240:
            pytest.fail(f"the first VASP job did not finish: {jobs}")
        time.sleep(2)
    assert first["state"] == "FAILED", first
    assert "CalculatorUnavailableError" in first["reason"]
    assert "no VASP command configured" in first["reason"]
    assert "ASE_VASP_COMMAND" in first["reason"]
    text = run_cli("db", "status", "--data-dir", str(data_dir), env=env).stdout
    assert "FAILED" in text
