"""`db export --archive` / `db import`: results carried to another database are reused there.

The legacy database (``tests/data/legacy/db_before_issue16``: Cu bulk, Cu(111) and Cu(100)
slabs, SevenNet-0) is archived, imported into an empty one, and the surface-energy study run on
it: every calculation is reused from the imported documents, nothing is recomputed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from jobflow import Flow, job, run_locally
from typer.testing import CliRunner

from lithiophilic.cli import app
from lithiophilic.db import get_store, show_document
from lithiophilic.db.archive import ARCHIVE_FORMAT, export_archive, import_archive
from lithiophilic.errors import ConfigurationError

LEGACY = Path(__file__).parent / "data" / "legacy"


def _counts(data: Path) -> dict[str, int]:
    """Lithiophilic documents (as archived); calculations computed here vs reused."""
    store = get_store(data_dir=data)
    counts = {"computed": 0, "reused": 0}
    counts["documents"] = store.count({"output.doc_type": {"$exists": True}})
    query = {"output.doc_type": "ase_calc"}
    for doc in store.query(query, properties=["output.reused_from_uuid"]):
        counts["reused" if doc["output"].get("reused_from_uuid") else "computed"] += 1
    return counts


@pytest.fixture
def legacy(tmp_path):
    data = tmp_path / "legacy"
    shutil.copytree(LEGACY / "db_before_issue16", data)
    return data


def _cli(*args: str):
    res = CliRunner().invoke(app, list(args))
    res.text = " ".join(res.output.split())  # rich wraps long lines
    return res


def test_archive_round_trip_is_reused_not_recomputed(legacy, tmp_path):
    archive = tmp_path / "a.json"
    res = _cli("db", "export", str(archive), "--archive", "--data-dir", str(legacy))
    assert res.exit_code == 0, res.output
    body = json.loads(archive.read_text())
    assert body["format"] == ARCHIVE_FORMAT
    assert "blob_uuid" not in archive.read_text()  # large arrays resolved, not references
    target = tmp_path / "new"
    res = _cli("db", "import", str(archive), "--data-dir", str(target))
    assert res.exit_code == 0, res.output
    assert f"imported {body['n_documents']} documents" in res.text
    before = _counts(target)
    assert before["documents"] == body["n_documents"] == _counts(legacy)["documents"]
    # the same documents, large arrays back in the additional store
    src, dst = get_store(data_dir=legacy), get_store(data_dir=target)
    assert dst.additional_stores["data"].count() == src.additional_stores["data"].count()
    uuid = body["documents"][0]["document"]["uuid"]
    assert show_document(dst, uuid, load=True) == show_document(src, uuid, load=True)

    expected = json.loads((LEGACY / "expected_before_issue16.json").read_text())
    res = _cli(
        "surface-energy", "-m", "Cu", "--quick", "--quiet", "--data-dir", str(target),
        "--json", str(tmp_path / "surface.json"), "--out", str(tmp_path / "figs"),
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    after = _counts(target)
    assert after["computed"] == before["computed"], "an imported calculation was recomputed"
    assert after["reused"] > before["reused"]
    rows = json.loads((tmp_path / "surface.json").read_text())["rows"]
    got = {tuple(r["miller"]): r["gamma_relaxed_j_per_m2"] for r in rows}
    want = {tuple(r["miller"]): r["gamma_relaxed_j_per_m2"] for r in expected["surface_rows"]}
    # from the stored energies; the arithmetic (cell area) may round differently on another CPU
    assert got == pytest.approx(want, rel=1e-12, abs=0)

    # a second import writes nothing
    res = _cli("db", "import", str(archive), "--data-dir", str(target))
    assert res.exit_code == 0, res.output
    assert "imported 0 documents" in res.text
    assert f"({body['n_documents']} already present)" in res.text
    assert _counts(target)["documents"] == after["documents"]


def test_archive_by_cache_key_holds_only_those(legacy, tmp_path):
    store = get_store(data_dir=legacy)
    keys = [
        d["output"]["cache_key"]
        for d in store.query({"output.doc_type": "ase_calc"}, properties=["output.cache_key"])
    ]
    n = export_archive(store, tmp_path / "one.json", cache_keys=keys[:1])
    docs = json.loads((tmp_path / "one.json").read_text())["documents"]
    assert n == len(docs) >= 1
    assert {d["document"]["output"]["cache_key"] for d in docs} == {keys[0]}


@job(data="dos_states_per_ev")
def _dos_job(n: int) -> dict:
    return {"doc_type": "test_dos", "n_points": n, "dos_states_per_ev": [0.5] * n}


def test_large_arrays_return_to_the_additional_store(tmp_path):
    src = get_store(data_dir=tmp_path / "src")
    flow = Flow([_dos_job(50_000)])
    run_locally(flow, store=src, create_folders=True, root_dir=tmp_path, log=False)
    export_archive(src, tmp_path / "a.json")
    dst = get_store(data_dir=tmp_path / "dst")
    assert import_archive(dst, tmp_path / "a.json") == {"imported": 1, "already_present": 0}
    uuid = flow.jobs[0].uuid
    raw = show_document(dst, uuid)
    assert "blob_uuid" in raw["output"]["dos_states_per_ev"]  # a reference again
    assert len(show_document(dst, uuid, load=True)["output"]["dos_states_per_ev"]) == 50_000


def test_bad_archives_are_refused_with_nothing_written(legacy, tmp_path):
    plain = tmp_path / "plain.json"
    assert _cli("db", "export", str(plain), "--data-dir", str(legacy)).exit_code == 0
    target = tmp_path / "new"
    res = _cli("db", "import", str(plain), "--data-dir", str(target))
    assert res.exit_code == 2
    assert "not a lithiophilic archive" in res.text
    broken = tmp_path / "broken.json"
    body = {"format": ARCHIVE_FORMAT, "version": 1, "documents": [{"document": {"uuid": "x"}}]}
    broken.write_text(json.dumps(body))
    res = _cli("db", "import", str(broken), "--data-dir", str(target))
    assert res.exit_code == 2
    assert "documents[0]" in res.text
    # a good document followed by one with a reference into another database: nothing written
    good = tmp_path / "good.json"
    export_archive(get_store(data_dir=legacy), good)
    body = json.loads(good.read_text())
    raw = json.loads(json.dumps(body["documents"][0]["document"]))
    raw["uuid"] = "not-in-the-target"
    raw["output"]["structure"] = {"@class": "Structure", "blob_uuid": "b1", "store": "data"}
    body["documents"].append({"document": raw, "additional": {}})
    mixed = tmp_path / "mixed.json"
    mixed.write_text(json.dumps(body))
    with pytest.raises(ConfigurationError, match="references into"):
        import_archive(get_store(data_dir=target), mixed)
    assert _counts(target)["documents"] == 0
    res = _cli("db", "import", str(tmp_path / "missing.json"), "--data-dir", str(target))
    assert res.exit_code == 2
    assert "does not exist" in res.text
    res = _cli("db", "export", str(tmp_path / "x.csv"), "--archive", "--data-dir", str(legacy))
    assert res.exit_code == 2
    assert "--archive" in res.text
