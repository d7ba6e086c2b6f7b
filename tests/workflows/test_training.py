"""TrainingDataMaker: teacher-labelled frames stored in the job database and exported."""

from __future__ import annotations

import numpy as np
import pytest
from jobflow import run_locally
from typer.testing import CliRunner

from lithiophilic.cli import app
from lithiophilic.errors import ConfigurationError
from lithiophilic.potentials.distill.frames import split_frames
from lithiophilic.workflows.training import TrainingDataMaker, frames_from_docs


@pytest.mark.mlip
def test_training_flow_stores_labelled_frames(memory_jobstore, sevenn_spec, in_tmp):
    maker = TrainingDataMaker(
        calculator=sevenn_spec,
        families=("li_clusters",),
        n_per_family=2,
        md_temperatures_k=(300.0,),
        md_steps=2,
        md_interval=1,
    )
    run_locally(maker.make(), store=memory_jobstore, ensure_success=True, log=False)
    docs = [
        d["output"] for d in memory_jobstore.query({"output.doc_type": "training_set"}, load=True)
    ]
    assert sorted(d["family"] for d in docs) == [
        "li_clusters",
        "md_cu111_li",
        "md_cu111_li",
        "md_cuzn111_li",
        "md_cuzn111_li",
    ]
    assert all(d["calculator_name"] == "sevenn" for d in docs)
    frames = frames_from_docs(docs)
    train, test = split_frames(frames)
    md_test = {a.info["group"] for a in test if a.info["family"].startswith("md_")}
    md_train = {a.info["group"] for a in train if a.info["family"].startswith("md_")}
    assert len(md_test) == 2 and not md_test & md_train  # whole runs held out
    md = [a for a in frames if a.info["family"] == "md_cu111_li"]
    assert len(md) == 6  # steps 0, 1, 2 of two runs
    # bottom layers are fixed in the teacher MD, yet their labelled forces are the raw ones
    assert np.abs(md[-1].get_forces()[:9]).max() > 1e-3
    assert {a.info["family"] for a in frames} >= {"li_clusters"}
    # a second run labels nothing: every set is reused by cache key
    run_locally(maker.make(), store=memory_jobstore, ensure_success=True, log=False)
    again = [d["output"] for d in memory_jobstore.query({"output.doc_type": "training_set"})]
    assert len(again) == 2 * len(docs)
    assert sum(d["reused_from_uuid"] is not None for d in again) == len(docs)


def test_maker_rejects_unknown_family():
    with pytest.raises(ConfigurationError, match="bulk_al"):
        TrainingDataMaker(families=("bulk_al",))


def test_cli_data_rejects_unknown_teacher(tmp_path):
    res = CliRunner().invoke(
        app, ["potentials", "data", "--export", str(tmp_path / "x.xyz"), "--teacher", "nope"]
    )
    assert res.exit_code == 2
    assert "sevenn" in res.output
    assert not (tmp_path / "x.xyz").exists()
