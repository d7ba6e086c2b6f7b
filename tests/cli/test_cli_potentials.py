"""CLI: lithiophilic potentials fit|validate|info (bad input exits non-zero, nothing installed)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.singlepoint import SinglePointCalculator
from typer.testing import CliRunner

from lithiophilic.cli import app
from lithiophilic.potentials.distill.frames import read_frames, write_frames
from lithiophilic.potentials.distill.shipped import shipped_potential_dir

runner = CliRunner()
TINY = Path(__file__).parents[1] / "data" / "potentials" / "tiny_licuzn_sevennet0.xyz"


def _shipped_state(name: str = "licuzn-pod") -> dict[str, bytes]:
    d = shipped_potential_dir(name)
    return {p.name: p.read_bytes() for p in sorted(d.iterdir())}


def test_info_lists_and_shows_the_shipped_potential():
    res = runner.invoke(app, ["potentials", "info"])
    assert res.exit_code == 0, res.output
    assert "licuzn-pod" in res.output
    res = runner.invoke(app, ["potentials", "info", "licuzn-pod"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.stdout)
    assert info["elements"] == ["Li", "Cu", "Zn"]
    assert info["commands"][0] == "pair_style pod"
    assert info["provenance"]["teacher"]["calculator_name"] == "sevenn"


def test_info_unknown_potential_exits_2():
    res = runner.invoke(app, ["potentials", "info", "no-such-pot"])
    assert res.exit_code == 2
    assert "licuzn-pod" in res.output


def test_fit_rejects_data_without_forces(tmp_path):
    before = _shipped_state()
    a = bulk("Cu", "fcc", a=3.6)
    a.calc = SinglePointCalculator(a, energy=-3.7)
    bad = tmp_path / "noforces.xyz"
    write_frames([a], bad)
    res = runner.invoke(
        app,
        ["potentials", "fit", str(bad), "--out", str(tmp_path / "o"), "--install", "licuzn-pod"],
    )
    assert res.exit_code == 2
    assert "no forces" in res.output
    assert _shipped_state() == before


def test_fit_rejects_unknown_species(tmp_path):
    a = bulk("Al", "fcc", a=4.05)
    a.calc = SinglePointCalculator(a, energy=-3.7, forces=np.zeros((1, 3)))
    bad = tmp_path / "al.xyz"
    write_frames([a], bad)
    res = runner.invoke(app, ["potentials", "fit", str(bad), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "Al" in res.output


def test_fit_rejects_unknown_install_target(tmp_path):
    res = runner.invoke(
        app, ["potentials", "fit", str(TINY), "--out", str(tmp_path / "o"), "--install", "nope"]
    )
    assert res.exit_code == 2
    assert "licuzn-pod" in res.output


@pytest.mark.parametrize(("model", "target"), [("pod", "licuzn-pod"), ("eam", "licuzn-eam")])
def test_fit_diverging_exits_1_and_leaves_shipped_potential(tmp_path, model, target):
    before = _shipped_state(target)
    frames = read_frames(TINY)
    rng = np.random.default_rng(1)
    for f in frames:
        f.calc.results["forces"] = rng.normal(0.0, 50.0, (len(f), 3))
    noisy = tmp_path / "noisy.xyz"
    write_frames(frames, noisy)
    res = runner.invoke(
        app,
        [
            "potentials",
            "fit",
            str(noisy),
            "--model",
            model,
            "--out",
            str(tmp_path / "o"),
            "--rounds",
            "0",
            "--install",
            target,
        ],
    )
    assert res.exit_code == 1
    assert "diverged" in str(res.exception)  # main() prints it as "calculation failed: ..."
    assert _shipped_state(target) == before


def test_info_shows_the_shipped_eam_with_its_pair_style():
    res = runner.invoke(app, ["potentials", "info", "licuzn-eam"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.stdout)
    assert info["commands"][0] == "pair_style eam/alloy"
    assert info["commands"][1].endswith("potential.eam.alloy Li Cu Zn")
    assert info["provenance"]["model_family"] == "eam"
    assert info["provenance"]["teacher"]["calculator_name"] == "sevenn"
    assert info["provenance"]["held_out_errors"]["md_cu111_li"]["n_frames"] > 0
    # the shipped site-resolved Li-Li table is part of the JSON (stdout stays one document)
    assert info["li_pair_interactions"]["max_abs_error_ev"] > 0


def test_fit_unknown_model_family_exits_2(tmp_path):
    res = runner.invoke(
        app, ["potentials", "fit", str(TINY), "--out", str(tmp_path / "o"), "--model", "snap"]
    )
    assert res.exit_code == 2
    assert "unknown family 'snap'" in res.output
    assert not (tmp_path / "o").exists()


def test_fit_bad_exploration_slab_exits_2(tmp_path):
    res = runner.invoke(
        app, ["potentials", "fit", str(TINY), "--out", str(tmp_path / "o"), "--md-slab", "3x3"]
    )
    assert res.exit_code == 2
    assert "--md-slab" in res.output


def test_fit_eam_with_one_short_round_records_rounds_and_provenance(tmp_path):
    out = tmp_path / "fit"
    res = runner.invoke(
        app,
        [
            "potentials", "fit", str(TINY), "--model", "eam", "--out", str(out), "--rounds", "0",
            "--committee", "0", "--md-slab", "3x3x3", "--md-n-li", "2", "--md-time-ps", "0.2",
            "--md-temperature", "300", "--json", str(tmp_path / "rounds.json"),
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert f"final model: {out / 'round-0'}" in " ".join(res.output.split())
    rounds = json.loads((tmp_path / "rounds.json").read_text())
    assert [r["round"] for r in rounds] == [0]
    assert {r["substrate"] for r in rounds[0]["md_runs"]} == {"Cu", "CuZn"}
    prov = json.loads((out / "round-0" / "provenance.json").read_text())
    assert prov["model_family"] == "eam"
    assert prov["teacher"]["calculator_name"] == "sevenn"
    assert prov["active_learning"][0]["n_train_configs"] == rounds[0]["n_train_configs"]
    assert prov["held_out_errors"] == rounds[0]["test_errors"]
    assert sum(prov["train_families"].values()) == len(read_frames(out / "train_final.xyz"))


def test_validate_reports_held_out_errors_and_a_short_stability_run(tmp_path):
    out = tmp_path / "val"
    res = runner.invoke(
        app,
        [
            "potentials", "validate", "licuzn-eam", "--data", str(TINY), "--stability-ps", "0.2",
            "--slab-size", "3x3x3", "--n-li", "2", "--substrate", "Cu", "--temperature", "300",
            "--no-physics", "--out", str(out), "--json", str(tmp_path / "v.json"),
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "Held-out errors" in res.output
    assert "Cu(111) 300 K: stable=True" in res.output
    report = json.loads((tmp_path / "v.json").read_text())
    assert report == json.loads((out / "potential_validation.json").read_text())
    assert list(report) == [
        "potential", "teacher", "held_out_errors", "held_out_errors_without_md_start_frames",
        "parity_png", "stability", "targets",
    ]  # fmt: skip
    assert report["held_out_errors"]["all"]["n_frames"] == 2  # the split=test frames of TINY
    (run,) = report["stability"]
    assert run["substrate"] == "Cu" and run["n_li"] == 2 and "frames" not in run
    assert set(run["teacher_spot_check"]) >= {"energy_rmse_mev_per_atom", "force_rmse_ev_per_a"}
    assert (out / "parity.png").is_file()
    assert report["targets"]["robustness"]["all_stable"] is True


def test_validate_unknown_substrate_exits_2(tmp_path):
    res = runner.invoke(
        app, ["potentials", "validate", "--substrate", "Al", "--out", str(tmp_path / "v")]
    )
    assert res.exit_code == 2
    assert "choose Cu or CuZn" in res.output
    assert not (tmp_path / "v").exists()


def test_without_md_start_frames_drops_the_first_frame_of_each_teacher_md_run():
    from lithiophilic.potentials.distill.validation import without_md_start_frames

    frames = [bulk("Cu", "fcc", a=3.6) for _ in range(5)]
    infos = [("md_cu111_li", "run-a"), ("md_cu111_li", "run-a"), ("bulk_cu", "x"),
             ("md_cu111_li", "run-b"), ("md_cu111_li", "run-b")]  # fmt: skip
    for a, (family, group) in zip(frames, infos, strict=True):
        a.info.update({"family": family, "group": group})
    assert without_md_start_frames(frames) == [1, 2, 4]
