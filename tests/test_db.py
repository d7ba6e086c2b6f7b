from __future__ import annotations

import pytest

from lithiophilic.db import describe_store, get_data_dir, get_store
from lithiophilic.errors import ConfigurationError


def test_data_dir_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("LITHIOPHILIC_DATA", str(tmp_path / "env"))
    assert get_data_dir() == (tmp_path / "env").resolve()
    assert get_data_dir(tmp_path / "arg") == (tmp_path / "arg").resolve()
    monkeypatch.delenv("LITHIOPHILIC_DATA")
    monkeypatch.chdir(tmp_path)
    assert get_data_dir() == (tmp_path / "lithiophilic-data").resolve()


def test_embedded_store_is_a_sqlite_file_that_persists(tmp_path):
    store = get_store(data_dir=tmp_path)
    store.docs_store.update(
        {"uuid": "u1", "index": 1, "output": {"doc_type": "x", "energy_ev": -1.5}}
    )
    store.close()
    assert (
        list(tmp_path.rglob("*.collection"))
        or list(tmp_path.rglob("*.db"))
        or any(tmp_path.iterdir())
    )
    again = get_store(data_dir=tmp_path)
    doc = again.query_one({"uuid": "u1"})
    assert doc["output"]["energy_ev"] == -1.5
    desc = describe_store(again)
    assert desc["type"].endswith("MontyStore")
    assert desc["additional_stores"] == ["data"]


def test_mongo_store_file_keeps_secrets_out_of_descriptions(tmp_path):
    cfg = tmp_path / "store.yaml"
    cfg.write_text(
        "docs_store:\n  type: MongoStore\n  database: lith\n  collection_name: outputs\n"
        "  host: db.example.org\n  port: 27017\n  username: alice\n  password: s3cret-pw\n"
        "additional_stores:\n  data:\n    type: GridFSStore\n    database: lith\n"
        "    collection_name: outputs_blobs\n    host: db.example.org\n    port: 27017\n"
        "    username: alice\n    password: s3cret-pw\n"
    )
    store = get_store(store=cfg, connect=False)
    desc = describe_store(store)
    assert desc["type"] == "MongoStore"
    assert desc["host"] == "db.example.org"
    assert "s3cret-pw" not in repr(desc)
    assert "alice" not in repr(desc)


def test_bad_store_option(tmp_path):
    with pytest.raises(ConfigurationError, match="neither 'embedded'"):
        get_store(store=tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("docs_store: [1, 2\n")
    with pytest.raises(ConfigurationError, match="could not build a JobStore"):
        get_store(store=bad)


def test_prefiltered_queries_return_what_a_full_scan_returns(tmp_path):
    """The undecoded-bytes prefilter of the embedded store never changes a result set."""
    from maggma.stores import MemoryStore

    from lithiophilic.db.embedded import _string_needles

    docs = [
        {"uuid": "u1", "index": 1, "output": {"cache_key": "k-α", "doc_type": "ase_calc"}},
        {"uuid": "u2", "index": 1, "output": {"cache_key": "k2", "doc_type": "ase_calc"}},
        {"uuid": "u2", "index": 2, "output": {"cache_key": "k2", "doc_type": "other"}},
        {"uuid": "u3", "index": 1, "tags": ["a", "b"], "output": {"doc_type": "ase_calc"}},
        {"uuid": "u1x", "index": 1, "name": "u1", "output": {"doc_type": "ase_calc"}},
    ]
    js = get_store(data_dir=tmp_path)
    js.docs_store.update([dict(d) for d in docs], key=["uuid", "index"])
    ref = MemoryStore(key="uuid")
    ref.connect()
    ref.update([dict(d) for d in docs], key=["uuid", "index"])
    queries = [
        {"uuid": "u1"},
        {"uuid": "u2", "index": 2},
        {"output.cache_key": "k-α", "output.doc_type": "ase_calc"},
        {"tags": "b"},
        {"uuid": {"$eq": "u3"}},
        {"$and": [{"uuid": "u2"}, {"output.doc_type": "other"}]},
        {"$or": [{"uuid": "u1"}, {"uuid": "u3"}]},
        {"uuid": {"$in": ["u1", "u2"]}},
        {"uuid": "nowhere"},
        {"index": 1},
        {},
    ]
    for q in queries:
        got = sorted((d["uuid"], d["index"]) for d in js.docs_store.query(q))
        want = sorted((d["uuid"], d["index"]) for d in ref.query(q))
        assert got == want, q
    assert _string_needles({"uuid": "u1", "index": 3, "$or": [{"a": "x"}]}) == [b"u1"]
    assert _string_needles({"$and": [{"a": {"$eq": "é"}}, {"b": {"$ne": "y"}}]}) == ["é".encode()]


def test_embedded_upserts_replace_the_matching_document_and_decode_only_candidates(tmp_path):
    """A write (jobflow's ``replace_one`` on uuid and index) must not decode every document.

    It goes through the same prefilter as a query: among 42 stored documents, an upsert of
    one uuid decodes only the documents whose bytes hold that uuid (none for a new uuid),
    and replaces exactly the one with the same uuid and index (another index of the same uuid, or a document merely
    naming the uuid elsewhere, is left alone).
    """
    from montydb.storage.sqlite import SQLiteCollection

    js = get_store(data_dir=tmp_path)
    docs = [{"uuid": f"uuid-{i:03d}", "index": 1, "output": {"e": i}} for i in range(40)]
    docs.append({"uuid": "uuid-007", "index": 2, "output": {"e": 72}})
    docs.append({"uuid": "other", "index": 1, "output": {"parent": "uuid-007"}})
    js.docs_store.update(docs, key=["uuid", "index"])

    decoded = []
    cursor_cls = SQLiteCollection.contractor_cls
    original = cursor_cls._decode_doc

    def counting(self, raw):
        doc = original(self, raw)
        decoded.append(doc["uuid"])
        return doc

    cursor_cls._decode_doc = counting
    try:
        for doc in (
            {"uuid": "uuid-007", "index": 1, "output": {"e": -7}},
            {"uuid": "new-uuid", "index": 1, "output": {"e": 100}},  # an insert: a full scan
        ):
            js.docs_store.update(doc, key=["uuid", "index"])
    finally:
        cursor_cls._decode_doc = original
    assert set(decoded) <= {"other", "uuid-007"}
    got = {(d["uuid"], d["index"]): d["output"] for d in js.docs_store.query({})}
    assert len(got) == 43
    assert got[("new-uuid", 1)] == {"e": 100}
    assert got[("uuid-007", 1)] == {"e": -7}
    assert got[("uuid-007", 2)] == {"e": 72}
    assert got[("other", 1)] == {"parent": "uuid-007"}
    assert got[("uuid-006", 1)] == {"e": 6}


def test_embedded_queries_see_every_write_whoever_made_it(tmp_path):
    """The rows kept between queries are read again after any write, this process's or another's."""
    import subprocess
    import sys

    from lithiophilic.db import embedded as db

    key = ["uuid", "index"]
    js = get_store(data_dir=tmp_path)
    js.docs_store.update({"uuid": "a", "index": 1, "output": {"e": 1}}, key=key)
    assert js.docs_store.query_one({"uuid": "a"})["output"]["e"] == 1
    (path, (_, rows)), *_ = [(p, v) for p, v in db._ROWS.items() if p.startswith(str(tmp_path))]
    assert js.docs_store.query_one({"uuid": "a"}) is not None
    assert db._ROWS[path][1] is rows  # no write in between: the same rows, not read again

    other = (
        "from lithiophilic.db import get_store\n"
        f"s = get_store(data_dir={str(tmp_path)!r})\n"
        "s.docs_store.update({'uuid': 'b', 'index': 1, 'output': {'e': 5}}, key=['uuid', 'index'])\n"
        "s.docs_store.update({'uuid': 'a', 'index': 1, 'output': {'e': 2}}, key=['uuid', 'index'])\n"
    )
    subprocess.run([sys.executable, "-c", other], check=True)
    assert js.docs_store.query_one({"uuid": "b"})["output"]["e"] == 5
    assert js.docs_store.query_one({"uuid": "a"})["output"]["e"] == 2
    js.docs_store.update({"uuid": "c", "index": 1, "output": {"e": 3}}, key=key)
    assert js.docs_store.query_one({"uuid": "c"})["output"]["e"] == 3
    js.docs_store.remove_docs({"uuid": "b"})
    assert js.docs_store.query_one({"uuid": "b"}) is None
    assert sorted(d["uuid"] for d in js.docs_store.query({})) == ["a", "c"]


def test_rows_are_kept_for_a_few_databases_only(tmp_path):
    """A process that opens many databases (a notebook) keeps the rows of the last few."""
    from lithiophilic.db import embedded

    for i in range(embedded._ROWS_FILES + 3):
        js = get_store(data_dir=tmp_path / f"db{i}")
        js.docs_store.update({"uuid": f"u{i}", "index": 1}, key=["uuid", "index"])
        assert js.docs_store.query_one({"uuid": f"u{i}"}) is not None
    assert len(embedded._ROWS) <= embedded._ROWS_FILES
    assert any(
        p.startswith(str(tmp_path / f"db{embedded._ROWS_FILES + 2}")) for p in embedded._ROWS
    )
