"""Self-contained archives of stored documents, to carry results from one database to another.

``lithiophilic db export FILE.json --archive`` writes the chosen documents with their large
arrays resolved from the additional stores (so the file stands alone) and, per document, where
those arrays were stored; ``lithiophilic db import FILE.json`` writes them into another store,
large arrays back into its additional stores. The documents keep their uuid, index and cache
key, so a run whose inputs match an imported document reuses it instead of recomputing: hours
of teacher MD or DFT done on a cluster, or on another machine, are carried over as one file.

Import is idempotent and checked before any write: a file that is not an archive (a plain
``db export``, whose large arrays are references into the other database), a document without
``uuid``/``index``/``output``, or an additional store the target lacks is refused with nothing
written; a document already present (same uuid and index) is skipped, never overwritten.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lithiophilic.db import document_query
from lithiophilic.errors import ConfigurationError

if TYPE_CHECKING:
    from jobflow import JobStore

__all__ = ["ARCHIVE_FORMAT", "export_archive", "import_archive"]

ARCHIVE_FORMAT = "lithiophilic-archive"
ARCHIVE_VERSION = 1


def _blob_locations(doc: dict[str, Any]) -> dict[str, list[list[Any]]]:
    """Additional-store name -> locations (key paths) of the references in an unloaded document."""
    from jobflow.utils.find import find_key

    out: dict[str, list[list[Any]]] = {}
    for loc in find_key(dict(doc), "blob_uuid"):  # type: ignore[arg-type]
        ref = doc
        for part in loc:
            ref = ref[part]
        out.setdefault(str(ref.get("store", "data")), []).append(list(loc))
    return out


def export_archive(
    store: JobStore,
    path: str | Path,
    *,
    doc_type: str | None = None,
    cache_keys: list[str] | None = None,
    criteria: dict[str, Any] | None = None,
) -> int:
    """Write the chosen documents, large arrays resolved, to ``path``; return how many.

    Parameters
    ----------
    store
        The job store to read.
    path
        Output JSON file.
    doc_type, cache_keys
        Only documents of this type / with one of these cache keys (both: both).
    criteria
        A further query on the stored documents (e.g. ``{"output.status": "completed"}``).
    """
    query = {**document_query(doc_type, cache_keys), **(criteria or {})}
    entries = []
    for raw in store.query(criteria=query, sort={"completed_at": 1}):
        loaded = store.query_one({"uuid": raw["uuid"], "index": raw["index"]}, load=True) or {}
        for doc in (raw, loaded):
            doc.pop("_id", None)
        entries.append({"document": loaded, "additional": _blob_locations(raw)})
    from lithiophilic import __version__

    archive = {
        "format": ARCHIVE_FORMAT,
        "version": ARCHIVE_VERSION,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "lithiophilic_version": __version__,
        "n_documents": len(entries),
        "documents": entries,
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(archive, default=str))
    tmp.replace(path)
    return len(entries)


def _read_archive(path: Path) -> list[dict[str, Any]]:
    """Return the archive's entries, checked; raise ConfigurationError naming what is wrong."""
    try:
        archive = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        msg = f"archive: cannot read {path} as JSON ({type(exc).__name__})"
        raise ConfigurationError(msg) from exc
    if not isinstance(archive, dict) or archive.get("format") != ARCHIVE_FORMAT:
        msg = (
            f"archive: {path} is not a lithiophilic archive (format {ARCHIVE_FORMAT!r}); write "
            "one with 'lithiophilic db export FILE.json --archive' (a plain export holds "
            "references into its own database, not the large arrays)"
        )
        raise ConfigurationError(msg)
    if archive.get("version") != ARCHIVE_VERSION:
        msg = f"archive: version {archive.get('version')!r} not supported (only {ARCHIVE_VERSION})"
        raise ConfigurationError(msg)
    entries = archive.get("documents")
    if not isinstance(entries, list):
        msg = "archive: 'documents' must be a list"
        raise ConfigurationError(msg)
    for i, entry in enumerate(entries):
        doc = entry.get("document") if isinstance(entry, dict) else None
        if not isinstance(doc, dict) or not {"uuid", "index", "output"} <= set(doc):
            msg = f"archive: documents[{i}] lacks a document with uuid, index and output"
            raise ConfigurationError(msg)
        if _blob_locations(doc):
            msg = (
                f"archive: documents[{i}] (uuid {doc['uuid']}) still holds references into "
                "another database's additional store; it cannot be imported"
            )
            raise ConfigurationError(msg)
    return entries


def import_archive(store: JobStore, path: str | Path) -> dict[str, int]:
    """Write an archive's documents into ``store``; return counts (imported, already present).

    Raises
    ------
    ConfigurationError
        If the file is not a valid archive or names an additional store ``store`` lacks;
        nothing is written then.
    """
    entries = _read_archive(Path(path))
    have = set(getattr(store, "additional_stores", {}) or {})
    for entry in entries:
        missing = set(entry.get("additional") or {}) - have
        if missing:
            msg = (
                f"archive: document {entry['document']['uuid']} needs additional store(s) "
                f"{sorted(missing)}; the target store has {sorted(have)}"
            )
            raise ConfigurationError(msg)
    counts = {"imported": 0, "already_present": 0}
    for entry in entries:
        doc = entry["document"]
        if store.query_one({"uuid": doc["uuid"], "index": doc["index"]}, properties=["uuid"]):
            counts["already_present"] += 1
            continue
        save: Any = {n: [tuple(loc) for loc in locs] for n, locs in entry["additional"].items()}
        store.update(doc, key=["uuid", "index"], save=save or False)
        counts["imported"] += 1
    return counts
