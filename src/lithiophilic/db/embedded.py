"""The embedded store's speed-ups over montydb 2.5 (sqlite): what it reads, and when again.

montydb answers every query, and the look-up behind every upsert, with a full scan that
reads the whole table and BSON-decodes each document before filtering. Here:

- :func:`_install_montydb_prefilter`: documents whose raw bytes lack a string the query
  requires (:func:`_string_needles`) are skipped undecoded, for queries and for the scan
  behind writes (:func:`_filtered_internal_scan_query`);
- :func:`_stored_rows`: the raw rows are kept in the process and read again only when the
  collection may have changed (:func:`_write_stamp`: the directory's write count, bumped by
  :func:`_count_write` under the writers' lock, and the sqlite file and WAL stats).

None of this changes a result set: the decoded candidates still go through montydb's filter.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

#: File in the database directory counting the writes made through
#: :class:`lithiophilic.db.LockedMontyStore`
#: (the queries' kept rows, :func:`_stored_rows`, are read again when it changes).
WRITES_FILE = ".lithiophilic.writes"


def _count_write(directory: str | Path) -> None:
    """Add one to the directory's write count (called under the directory lock, after a write)."""
    path = Path(directory) / WRITES_FILE
    try:
        count = int(path.read_text() or 0)
    except (OSError, ValueError):
        count = 0
    tmp = path.with_name(f"{WRITES_FILE}.{os.getpid()}")
    tmp.write_text(str(count + 1))
    os.replace(tmp, path)  # a reader sees the old or the new count, never a partial one


def _write_stamp(col_path: str) -> tuple[Any, ...] | None:
    """Return what changes whenever the collection file ``col_path`` may change (None: unknown).

    The write count of its database directory (every write of this package), and the size,
    modification time and inode of the sqlite file and its write-ahead log (any writer).
    """
    col = Path(col_path)
    try:
        count = (col.parent.parent / WRITES_FILE).read_text()
    except FileNotFoundError:
        count = ""
    except OSError:
        return None
    stamp: list[Any] = [count]
    for path in (col, col.with_name(col.name + "-wal")):
        try:
            st = path.stat()
        except FileNotFoundError:
            stamp.append(None)
            continue
        except OSError:
            return None
        stamp.append((st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(stamp)


def _string_needles(spec: Any) -> list[bytes]:
    """UTF-8 bytes that every document matching the query ``spec`` contains.

    A plain string equality ``{"a.b": "x"}`` (or ``{"$eq": "x"}``, or either inside a
    top-level ``$and``) matches only documents holding the string "x" (as the value or as an
    element of an array), and BSON stores strings as raw UTF-8: a document whose encoded
    bytes lack "x" cannot match.  Every other condition gives no needle.
    """
    out: list[bytes] = []
    if not isinstance(spec, Mapping):
        return out
    for key, value in spec.items():
        if key == "$and" and isinstance(value, list):
            for sub in value:
                out += _string_needles(sub)
        elif str(key).startswith("$"):
            continue
        elif isinstance(value, str) and value:
            out.append(value.encode())
        elif (
            isinstance(value, Mapping) and list(value) == ["$eq"] and isinstance(value["$eq"], str)
        ):
            out.append(value["$eq"].encode())
    return out


def _install_montydb_prefilter() -> None:
    """Make montydb's sqlite cursor skip, undecoded, documents that cannot match the query.

    montydb answers every query with a full scan that BSON-decodes each stored document
    before filtering; with a few hundred documents of relaxed structures (~4 MB) that is
    ~0.07 s per query, and jobflow and the reuse lookups query the store several times per
    job (cProfile of a fully reused ``surface-energy --quick`` in a 376-document database:
    12 of its 17.5 s in montydb queries, 10 s of them BSON decoding).  Most of those queries name a uuid or a cache key: documents whose
    raw bytes do not contain every such string (:func:`_string_needles`) are dropped before
    decoding.  This is a necessary condition only, so the result set is unchanged (the
    decoded candidates still go through montydb's own filter).
    """
    from montydb.collection import MontyCollection
    from montydb.storage.sqlite import SQLiteCollection, SQLiteCursor

    if getattr(SQLiteCollection.contractor_cls, "_lithiophilic_prefilter", False):
        return

    class PrefilterCursor(SQLiteCursor):  # type: ignore[misc]
        _lithiophilic_prefilter = True

        def __init__(self, collection: Any, subject: Any) -> None:
            super().__init__(collection, subject)
            self._needles = _string_needles(getattr(subject, "_spec", None))

        def query(self, max_scan: int) -> Iterator[dict[str, Any]]:
            if max_scan:
                rows = [bytes(r[0]) for r in self._conn.read_all(self._col_path, max_scan)]
            else:
                rows = _stored_rows(self._conn, self._col_path)
            needles = self._needles
            return (self._decode_doc(raw) for raw in rows if all(n in raw for n in needles))

    SQLiteCollection.contractor_cls = PrefilterCursor
    MontyCollection._internal_scan_query = _filtered_internal_scan_query


#: Raw documents of each embedded collection file read in this process, with the
#: :func:`_write_stamp` they were read at (:func:`_stored_rows`).
_ROWS: dict[str, tuple[tuple[Any, ...], list[bytes]]] = {}
_ROWS_FILES = 8


def _stored_rows(engine: Any, path: str) -> list[bytes]:
    """Return every stored document of the collection file ``path``, undecoded.

    montydb reads the whole table for every query (a full campaign's 38 MB collection, once
    per query). The rows are kept in this process and read again only when the file's
    :func:`_write_stamp` changed. The stamp is taken before the rows are read, so a write
    that lands after it changes the stamp the next query sees.
    """
    stamp = _write_stamp(path)
    cached = _ROWS.get(path)
    if stamp is not None and cached is not None and cached[0] == stamp:
        return cached[1]
    rows = [bytes(r[0]) for r in engine.read_all(path, 0)]
    if stamp is not None:
        _ROWS.pop(path, None)
        while len(_ROWS) >= _ROWS_FILES:  # a notebook opening many databases keeps a few
            _ROWS.pop(next(iter(_ROWS)))
        _ROWS[path] = (stamp, rows)
    return rows


def _filtered_internal_scan_query(self: Any, query_spec: Mapping[str, Any]) -> Iterator[Any]:
    """Return montydb 2.5's ``MontyCollection._internal_scan_query`` scan, with the cursor filtered.

    The scan behind ``replace_one``/``update_one``/``update_many`` (every job output jobflow
    writes is a ``replace_one`` on uuid and index) made its cursor without the filter, so the
    prefilter had no needles and each write decoded every stored document (cProfile of a
    reused quick binding stage: 118 writes, 21,000 decodes, 7 s). Same code otherwise.
    """
    from montydb.cursor import MontyCursor
    from montydb.engine.queries import QueryFilter

    queryfilter = QueryFilter(query_spec)
    documents = self._storage.query(MontyCursor(self, filter=query_spec), 0)
    first_matched = None
    for doc in documents:
        if queryfilter(doc):
            first_matched = queryfilter.fieldwalker
            break
    if first_matched:
        yield first_matched  # for the caller's test: update or insert
        yield first_matched  # start update, yield again
        for doc in documents:
            if queryfilter(doc):
                yield queryfilter.fieldwalker
