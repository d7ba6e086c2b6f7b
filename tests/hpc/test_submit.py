"""`lithiophilic submit` parses the command with its own parser; hpc.submit's checks.

No scheduler is needed here: every case stops before anything reaches Slurm or a
jobflow-remote queue (the real submissions are in test_slurm.py and test_remote.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lithiophilic.cli import app
from lithiophilic.cli.common import STUDY_COMMANDS
from lithiophilic.cli.submit import parse_command_args
from lithiophilic.errors import ConfigurationError
from lithiophilic.hpc.submit import RemoteProject, cancel_submitted, submit_flows_to

runner = CliRunner()


def _text(res) -> str:
    """The output on one line, without rich's box characters."""
    return " ".join(res.output.replace("│", " ").split())


def test_every_study_command_is_registered_for_submit():
    assert set(STUDY_COMMANDS) == {"surface-energy", "binding", "pdos", "md-aggregation", "screen"}


def test_a_command_without_flows_is_refused_naming_the_allowed_ones():
    res = runner.invoke(app, ["submit", "--remote", "p", "potentials", "fit", "x.xyz"])
    assert res.exit_code == 2
    text = _text(res)
    assert "'potentials' is not a command with flows to submit" in text
    assert "allowed: binding, md-aggregation, pdos, screen, surface-energy" in text
    res = runner.invoke(app, ["submit", "--remote", "p"])
    assert res.exit_code == 2
    assert "name the command whose flows to submit" in res.output


def test_bad_arguments_exit_2_with_the_commands_own_message():
    res = runner.invoke(app, ["submit", "--remote", "p", "surface-energy", "--bogus"])
    assert res.exit_code == 2
    assert "No such option: --bogus" in _text(res)
    res = runner.invoke(app, ["submit", "--remote", "p", "surface-energy", "--n-layers", "x"])
    assert res.exit_code == 2
    assert "Invalid value for '--n-layers'" in _text(res)
    res = runner.invoke(app, ["submit", "--remote", "p", "surface-energy", "--miller", "12"])
    assert res.exit_code == 2  # the Options refuse it, naming the field
    assert "miller: '12' is not a Miller index" in _text(res)


def test_parsed_arguments_are_what_the_command_itself_receives(tmp_path):
    from lithiophilic.cli.surface import surface_options

    params = parse_command_args(
        "surface-energy",
        [
            "-m",
            "Cu",
            "--miller",
            "111",
            "--quick",
            "--calculator",
            "emt",
            "--data-dir",
            str(tmp_path),
        ],
    )
    assert params["material"] == ["Cu"]
    assert params["miller"] == ["111"]
    assert params["thickness_series"] is None
    assert params["data_dir"] == tmp_path
    assert params["store_opt"] is None
    options = STUDY_COMMANDS["surface-energy"].options_from_params(params)
    direct = surface_options(material=["Cu"], miller=["111"], calculator="emt", quick=True)
    assert options == direct
    # a repeatable option left out is None, as Typer hands it to the command
    assert parse_command_args("surface-energy", [])["material"] is None


def test_submit_to_an_unknown_jobflow_remote_project_exits_2(tmp_path, monkeypatch):
    monkeypatch.setenv("JFREMOTE_PROJECTS_FOLDER", str(tmp_path / "none"))
    (tmp_path / "none").mkdir()
    args = ["submit", "--remote", "nosuch", "surface-energy", "-m", "Cu", "--quick"]
    res = runner.invoke(app, [*args, "--calculator", "emt", "--data-dir", str(tmp_path / "d")])
    assert res.exit_code == 2
    assert "--remote nosuch" in res.output


def test_remote_targets_cannot_wait_for_slurm_jobs(tmp_path):
    with pytest.raises(ConfigurationError, match="cannot wait for Slurm jobs"):
        submit_flows_to(
            {},
            target=RemoteProject("p"),
            store_spec={},
            tracking=None,
            work_dir=tmp_path,
            command="test",
            after=["12"],
        )
    with pytest.raises(ConfigurationError, match="name of a jobflow-remote project"):
        RemoteProject("")
    with pytest.raises(ConfigurationError, match="neither SlurmResources nor a RemoteProject"):
        submit_flows_to(
            {}, target="slurm", store_spec={}, tracking=None, work_dir=Path(), command="x"
        )  # type: ignore[arg-type]


def test_cancelling_names_the_jobflow_remote_flows_it_cannot_withdraw():
    records = [{"flow": "Cu", "flow_uuid": "f-1", "db_ids": ["1", "2"]}]
    cancelled = cancel_submitted(records, "stage binding failed", tracking=None)
    assert cancelled.slurm_job_ids == []
    assert cancelled.remote_flow_uuids == ["f-1"]
