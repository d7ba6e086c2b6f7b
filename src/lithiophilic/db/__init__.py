"""The job database: JobStore construction and queries (the only module that knows the database).

Default: an embedded store that needs no server — maggma ``MontyStore`` (montydb with its
sqlite backend) in the data directory (``--data-dir``, else ``$LITHIOPHILIC_DATA``, else
``./lithiophilic-data``), with a second collection as jobflow's additional ``data`` store for
large arrays.  MongoDB (or any Mongo-wire server) is a configuration switch: point
``--store`` or ``$LITHIOPHILIC_STORE`` at a JobStore file in jobflow's format (YAML/JSON,
``docs_store`` + ``additional_stores``), or use ``jobflow`` to take jobflow's own
``JOB_STORE`` setting (``~/.jobflow.yaml`` or ``$JOBFLOW_CONFIG_FILE``).  Credentials stay in
those files; :func:`describe_store` never shows them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from jobflow import JobStore
from maggma.stores import MontyStore

from lithiophilic.db.embedded import _count_write, _install_montydb_prefilter
from lithiophilic.errors import ConfigurationError

__all__ = [
    "DEFAULT_DATA_DIR",
    "STRUCTURE_FORMATS",
    "LockedMontyStore",
    "describe_store",
    "document_query",
    "export_results",
    "export_results_csv",
    "export_structures",
    "get_data_dir",
    "get_output_dict",
    "get_store",
    "get_tracking_store",
    "latest_rows",
    "list_results",
    "record_jobs",
    "relaxed_structures",
    "set_job_state",
    "show_document",
    "status_summary",
    "tracked_jobs",
]

logger = logging.getLogger(__name__)

DEFAULT_DATA_DIR = "lithiophilic-data"
DATA_ENV = "LITHIOPHILIC_DATA"
STORE_ENV = "LITHIOPHILIC_STORE"
_DB_NAME = "lithiophilic"


def get_data_dir(data_dir: str | Path | None = None) -> Path:
    """Return the data directory: the argument, else ``$LITHIOPHILIC_DATA``, else ``./lithiophilic-data``."""
    path = Path(data_dir or os.environ.get(DATA_ENV) or DEFAULT_DATA_DIR).expanduser()
    return path.resolve()


@contextlib.contextmanager
def _file_lock(directory: str | Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``directory/.lithiophilic.lock`` (POSIX ``flock``)."""
    import fcntl

    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    with (path / ".lithiophilic.lock").open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class LockedMontyStore(MontyStore):
    """maggma ``MontyStore`` (sqlite) that several processes can write at once.

    montydb writes its storage configuration on every connect, creates a collection's table
    lazily, and upserts as find-then-write; two processes doing this at the same time lose
    documents ("no such table", an empty configuration, duplicated upserts). Connecting,
    ``update`` and ``remove_docs`` therefore hold an exclusive file lock on the database
    directory; reads need none (sqlite keeps them consistent). Every write also adds one to
    the directory's write count (:mod:`lithiophilic.db.embedded`), which tells the readers of
    every process that the rows they keep are stale.
    """

    def connect(self, force_reset: bool = False) -> None:
        """Connect under the directory lock and make sure the collection's table exists."""
        if self._coll and not force_reset:
            return
        with _file_lock(self.database_path):
            super().connect(force_reset=force_reset)
            db = self._collection.database
            if self.collection_name not in db.list_collection_names():
                db.create_collection(self.collection_name)

    def update(self, docs: list[dict] | dict, key: list | str | None = None) -> None:
        """Upsert ``docs`` under the directory lock (see ``MontyStore.update``)."""
        with _file_lock(self.database_path):
            try:
                super().update(docs, key=key)
            finally:
                _count_write(self.database_path)

    def remove_docs(self, criteria: dict) -> None:
        """Remove documents matching ``criteria`` under the directory lock."""
        with _file_lock(self.database_path):
            try:
                super().remove_docs(criteria)
            finally:
                _count_write(self.database_path)


def _embedded_store(path: Path, collection: str, key: str) -> LockedMontyStore:
    _install_montydb_prefilter()
    return LockedMontyStore(
        collection, database_path=str(path), database_name=_DB_NAME, storage="sqlite", key=key
    )


def get_store(
    *, data_dir: str | Path | None = None, store: str | Path | None = None, connect: bool = True
) -> JobStore:
    """Return the JobStore to use.

    Parameters
    ----------
    data_dir
        Directory of the embedded store (see :func:`get_data_dir`).
    store
        ``None`` (use ``$LITHIOPHILIC_STORE`` if set, else the embedded store), ``"embedded"``,
        ``"jobflow"`` (jobflow's configured ``JOB_STORE``), ``"remote:PROJECT"`` (the job
        store of a jobflow-remote project), or a path to a JobStore file.
    connect
        Connect the store before returning it.

    Raises
    ------
    ConfigurationError
        If the store file does not exist or cannot be parsed.
    """
    choice = str(store) if store is not None else os.environ.get(STORE_ENV, "embedded")
    if choice == "embedded":
        path = get_data_dir(data_dir)
        path.mkdir(parents=True, exist_ok=True)
        docs = _embedded_store(path, "outputs", "uuid")
        data = _embedded_store(path, "outputs_data", "blob_uuid")
        js = JobStore(docs, additional_stores={"data": data})
    elif choice == "jobflow":
        from jobflow import SETTINGS

        js = SETTINGS.JOB_STORE
    elif choice.startswith("remote:"):
        js = _remote_jobstore(choice.removeprefix("remote:"))
    else:
        file = Path(choice).expanduser()
        if not file.is_file():
            msg = (
                f"store: {choice!r} is neither 'embedded', 'jobflow', 'remote:PROJECT' nor an "
                "existing JobStore file (YAML/JSON in jobflow's format)"
            )
            raise ConfigurationError(msg)
        try:
            js = JobStore.from_file(file)
        except Exception as exc:
            msg = f"store: could not build a JobStore from {file} ({type(exc).__name__})"
            raise ConfigurationError(msg) from exc
    if connect:
        _connect(js)
    return js


def _remote_jobstore(project: str) -> JobStore:
    """Return the job store of the jobflow-remote project ``project``."""
    try:
        from jobflow_remote import ConfigManager
        from jobflow_remote.config.base import ConfigError
    except ImportError as exc:  # the hpc extra is not installed
        msg = "store: 'remote:PROJECT' needs jobflow-remote (pip install 'lithiophilic[hpc]')"
        raise ConfigurationError(msg) from exc
    try:
        js = ConfigManager().get_project(project).get_jobstore()
    except ConfigError as exc:
        msg = f"store: jobflow-remote project {project!r} not found or invalid ({exc})"
        raise ConfigurationError(msg) from exc
    if js is None:
        msg = f"store: jobflow-remote project {project!r} defines no job store"
        raise ConfigurationError(msg)
    return js


def _connect(js: JobStore) -> None:
    """Connect the store; turn an unreachable server or refused credentials into a clear error."""
    try:
        js.connect()
        # Mongo clients connect lazily: one cheap query proves the server and the credentials
        js.docs_store.count({"uuid": "__lithiophilic_ping__"})
    except Exception as exc:
        where = describe_store(js)
        text = str(exc).lower()
        if "auth" in text or "credential" in text or "unauthorized" in text:
            why = "the server refused the credentials (check username/password in the store file)"
        elif "timeout" in text or "refused" in text or "unreachable" in text or "resolve" in text:
            why = "the database server is unreachable (is it running? host/port right?)"
        else:
            why = f"{type(exc).__name__}"
        msg = f"store: cannot connect to {where}: {why}"
        raise ConfigurationError(msg) from exc
    _ensure_indexes(js)


def _ensure_indexes(js: JobStore) -> None:
    """Index the fields the cache look-up and the listings query (MongoDB; montydb has none)."""
    docs = js.docs_store
    if isinstance(docs, MontyStore) or not hasattr(docs, "ensure_index"):
        return
    from pymongo.errors import PyMongoError

    for key in ("output.cache_key", "output.doc_type"):
        try:
            docs.ensure_index(key)
        except PyMongoError as exc:  # e.g. a read-only user: queries still work, unindexed
            logger.debug("could not index %s: %s", key, type(exc).__name__)


def describe_store(store: JobStore) -> dict[str, Any]:
    """Return a description of the store that is safe to print (no passwords, no URIs)."""
    docs = store.docs_store
    out: dict[str, Any] = {"type": type(docs).__name__}
    for attr in ("database_path", "host", "port", "database", "database_name", "collection_name"):
        val = getattr(docs, attr, None)
        if val is not None and not isinstance(val, Mapping):
            out[attr] = val
    out["additional_stores"] = sorted(getattr(store, "additional_stores", {}) or {})
    return out


def list_results(store: JobStore, *, doc_type: str | None = None) -> list[dict[str, Any]]:
    """List completed job outputs that carry a lithiophilic ``doc_type``, newest last."""
    criteria: dict[str, Any] = (
        {"output.doc_type": doc_type} if doc_type else {"output.doc_type": {"$exists": True}}
    )
    props = [
        "uuid",
        "index",
        "name",
        "completed_at",
        "output.doc_type",
        "output.material",
        "output.label",
        "output.calculator_name",
        "output.miller",
    ]
    rows = []
    for doc in store.query(criteria=criteria, properties=props, sort={"completed_at": 1}):
        out = doc.get("output", {})
        rows.append(
            {
                "uuid": doc["uuid"],
                "index": doc.get("index"),
                "name": doc.get("name"),
                "completed_at": str(doc.get("completed_at")),
                "doc_type": out.get("doc_type"),
                "material": out.get("material") or out.get("label"),
                "calculator": out.get("calculator_name"),
            }
        )
    return rows


def latest_rows(
    store: JobStore,
    doc_type: str,
    keys: tuple[str, ...],
    identity: tuple[str, ...],
    materials: list[str] | None,
    calculator: str | None,
) -> list[dict[str, Any]]:
    """Return rows of ``keys`` for stored ``doc_type`` outputs, the newest per ``identity``."""
    criteria: dict[str, Any] = {"output.doc_type": doc_type}
    if calculator:
        criteria["output.calculator_name"] = calculator
    props = ["uuid", "completed_at", *[f"output.{k}" for k in keys]]
    latest: dict[str, dict[str, Any]] = {}
    for doc in store.query(criteria=criteria, properties=props, sort={"completed_at": 1}):
        out = doc["output"]
        if materials and out.get("material") not in materials:
            continue
        row = {k: out.get(k) for k in keys}
        row["calculator"] = row.get("calculator_name")
        row["uuid"] = doc["uuid"]
        latest[json.dumps([row.get(k) for k in identity])] = row
    return list(latest.values())


def document_query(
    doc_type: str | None = None, cache_keys: list[str] | None = None
) -> dict[str, Any]:
    """Query for lithiophilic documents (outputs with a ``doc_type``), of this type and keys."""
    query: dict[str, Any] = (
        {"output.doc_type": doc_type} if doc_type else {"output.doc_type": {"$exists": True}}
    )
    if cache_keys:
        query["output.cache_key"] = {"$in": list(cache_keys)}
    return query


def export_results(
    store: JobStore,
    path: str | Path,
    *,
    doc_type: str | None = None,
    cache_keys: list[str] | None = None,
) -> Path:
    """Export lithiophilic documents (outputs with a ``doc_type``) to a JSON file.

    ``doc_type`` / ``cache_keys``: only documents of this type / with one of these cache keys.
    Large arrays stay references into this database (``db.archive`` writes them out).
    """
    docs = []
    query = document_query(doc_type, cache_keys)
    for doc in store.query(criteria=query, sort={"completed_at": 1}):
        doc.pop("_id", None)
        docs.append(doc)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(docs, indent=1, default=str))
    return path


def get_output_dict(store: JobStore, uuid: str) -> dict[str, Any] | None:
    """Return the (last) output of job ``uuid`` as a plain dict, or None if there is none."""
    try:
        out = store.get_output(uuid, load=True)
    except ValueError:
        return None
    if hasattr(out, "model_dump"):
        return out.model_dump()
    return out if isinstance(out, dict) else None


# --------------------------------------------------------------------------- job tracking
#: Collection (next to the outputs) holding one document per submitted job.
TRACKING_COLLECTION = "lithiophilic_jobs"
#: Tracked job states: waiting in the scheduler, running, finished well, or not.
FINAL_STATES = ("COMPLETED", "FAILED", "CANCELLED")


def get_tracking_store(store: JobStore) -> Any:
    """Return the (connected) store of submitted-job records next to ``store``'s outputs.

    Embedded store: a third sqlite collection in the data directory. Any other maggma store
    (MongoDB, memory): the same store type and database, collection ``lithiophilic_jobs``.
    """
    from maggma.core import Store

    docs = store.docs_store
    if isinstance(docs, LockedMontyStore):
        tracking: Any = _embedded_store(Path(docs.database_path), TRACKING_COLLECTION, "uuid")
    else:
        spec = docs.as_dict()
        spec["collection_name"] = TRACKING_COLLECTION
        spec["key"] = "uuid"
        tracking = Store.from_dict(spec) if "@module" in spec else type(docs)(**spec)
    tracking.connect()
    return tracking


def record_jobs(tracking: Any, records: list[dict[str, Any]]) -> None:
    """Insert or update submitted-job records (each needs ``uuid``; ``updated_at`` is set)."""
    now = time.strftime("%Y-%m-%dT%H:%M:%S")
    docs = [{**r, "updated_at": now} for r in records]
    if docs:
        tracking.update(docs, key="uuid")


def set_job_state(tracking: Any, uuid: str, state: str, reason: str | None = None) -> None:
    """Set the state (and the reason, for failures) of one tracked job."""
    doc = tracking.query_one({"uuid": uuid}) or {"uuid": uuid}
    doc.pop("_id", None)
    doc["state"] = state
    if reason is not None:
        doc["reason"] = reason
    record_jobs(tracking, [doc])


def tracked_jobs(tracking: Any, *, submission: str | None = None) -> list[dict[str, Any]]:
    """Return the tracked job records (optionally of one submission), oldest first."""
    criteria = {"submission": submission} if submission else {}
    out = []
    for doc in tracking.query(criteria=criteria, sort={"submitted_at": 1}):
        doc.pop("_id", None)
        out.append(doc)
    return out


def status_summary(store: JobStore) -> dict[str, Any]:
    """Count stored outputs (per ``doc_type``) and tracked jobs (per state)."""
    outputs: dict[str, int] = {}
    for doc in store.query(criteria={}, properties=["output.doc_type"]):
        kind = (doc.get("output") or {}).get("doc_type") or "other"
        outputs[kind] = outputs.get(kind, 0) + 1
    reused = store.count({"output.reused_from_uuid": {"$ne": None}, "output.doc_type": "ase_calc"})
    states: dict[str, int] = {}
    for rec in tracked_jobs(get_tracking_store(store)):
        states[rec.get("state", "?")] = states.get(rec.get("state", "?"), 0) + 1
    return {"outputs": outputs, "reused_calculations": reused, "tracked_jobs": states}


def show_document(store: JobStore, uuid: str, *, load: bool = False) -> dict[str, Any] | None:
    """Return the newest stored document of job ``uuid``, else its job-tracking record.

    A job with no output (it failed locally, or is still queued or running on Slurm or
    jobflow-remote) is shown by its record in the job-tracking collection: ``state``,
    ``reason`` and, for a failed local job, the ``traceback``.

    Parameters
    ----------
    store
        The job store.
    uuid
        Job uuid (a jobflow-remote flow's uuid for its tracking record).
    load
        Resolve references to the additional stores (large arrays).

    Returns
    -------
    dict or None
        The output document, the tracking record, or None if the uuid is unknown to both.
    """
    docs = list(store.query({"uuid": uuid}, sort={"index": -1}, limit=1, load=load))
    if docs:
        doc = docs[0]
        doc.pop("_id", None)
        return doc
    record = get_tracking_store(store).query_one({"uuid": uuid})
    if record is None:
        return None
    record.pop("_id", None)
    return record


def _flatten(prefix: str, value: Any, row: dict[str, Any]) -> None:
    if isinstance(value, Mapping):
        if prefix and "@class" in value and "@module" in value:
            return  # a serialized object (structure, ...): JSON export only
        for k, v in value.items():
            if not str(k).startswith("@"):
                _flatten(f"{prefix}.{k}" if prefix else str(k), v, row)
    elif isinstance(value, str | int | float | bool) or value is None:
        row[prefix] = value
    elif (
        isinstance(value, list)
        and all(isinstance(v, int | float) for v in value)
        and len(value) <= 9
    ):
        row[prefix] = json.dumps(value)


def export_results_csv(store: JobStore, path: str | Path, *, doc_type: str | None = None) -> Path:
    """Export lithiophilic documents to CSV: one row per document, scalar output fields only.

    Nested fields become dotted columns (``gamma_vs_delta_mu.slope``); structures, arrays
    longer than 9 and additional-store references are left out (use JSON for them).
    """
    import csv

    criteria: dict[str, Any] = (
        {"output.doc_type": doc_type} if doc_type else {"output.doc_type": {"$exists": True}}
    )
    rows = []
    for doc in store.query(criteria=criteria, sort={"completed_at": 1}):
        row: dict[str, Any] = {
            "uuid": doc["uuid"],
            "index": doc.get("index"),
            "name": doc.get("name"),
            "completed_at": str(doc.get("completed_at")),
        }
        _flatten("", doc.get("output", {}), row)
        rows.append(row)
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


# --------------------------------------------------------------------------- structure export
#: File formats of :func:`export_structures` -> file suffix.
STRUCTURE_FORMATS: dict[str, str] = {"cif": "cif", "poscar": "vasp", "extxyz": "extxyz"}

#: Family documents whose relaxed structures name their material, facet, termination or site,
#: in the order a relaxation's description is taken from (Li configurations before slabs).
_FAMILIES = ("li_site", "li_multilayer", "surface_energy")


def _slug(text: Any) -> str:
    """``text`` as a file-name part: letters, digits, ``.``, ``+`` and ``-`` only."""
    out = "".join(c if c.isalnum() or c in ".+-" else "-" for c in str(text))
    return "-".join(p for p in out.split("-") if p)


def _family_entries(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Describe the relaxed structure(s) of one family document (surface, Li site, Li layers)."""
    from pymatgen.core import Structure

    out = doc["output"]
    base = {
        "material": out.get("material"),
        "facet": "".join(str(i) for i in out.get("miller") or []),
        "calculator": out.get("calculator_name"),
        "model": out.get("calculator_model"),
        "calculator_version": out.get("calculator_version"),
        "lithiophilic_version": out.get("lithiophilic_version"),
        "family_uuid": doc["uuid"],
    }
    if out["doc_type"] == "surface_energy":
        seed = out.get("sqs_seed")
        term = f"t{out['termination']}-n{out['n_layers']}" + (
            f"-s{seed}" if seed is not None else ""
        )
        structs = [(out["relaxed_structure"], out.get("slab_energy_relaxed_ev"), out["converged"])]
        extra = [{"kind": "slab", "termination": term}]
    elif out["doc_type"] == "li_site":
        structs = [(out["relaxed_structure"], out.get("energy_ev"), out["converged"])]
        extra = [{"kind": "li-site", "site": out["site_label"]}]
    else:  # li_multilayer: n = 0 (bare slab in the same cell) ... N Li layers
        structs = list(
            zip(out["relaxed_structures"], out["energies_ev"], out["converged"], strict=True)
        )
        growth = out.get("growth") or "independent"
        extra = [
            {"kind": "li-layers", "site": f"{n}Li-layers-{out['construction']}-{growth}"}
            for n in out["n_layers"]
        ]
    entries = []
    for (struct, energy, converged), more in zip(structs, extra, strict=True):
        structure = Structure.from_dict(struct) if isinstance(struct, Mapping) else struct
        entries.append(
            {**base, **more, "structure": structure, "energy_ev": energy, "converged": converged}
        )
    return entries


def _hash_of(structure: Any) -> str:
    from pymatgen.io.ase import AseAtomsAdaptor

    from lithiophilic.provenance import structure_hash

    return structure_hash(AseAtomsAdaptor.get_atoms(structure))


def _calc_entry(out: Mapping[str, Any], uuid: str) -> dict[str, Any]:
    """Describe one relaxation document (``ase_calc``, task ``relax``)."""
    from pymatgen.core import Structure

    label = str(out.get("label") or out.get("formula") or "")
    bulk = bool(out.get("relax_cell"))
    return {
        "kind": "bulk" if bulk else "relax",
        "material": label.removesuffix(" bulk") if bulk else label,
        "facet": "",
        "calculator": out.get("calculator_name"),
        "model": out.get("calculator_model"),
        "calculator_version": out.get("calculator_version"),
        "lithiophilic_version": out.get("lithiophilic_version"),
        "structure": Structure.from_dict(out["structure"]),
        "energy_ev": out.get("energy_ev"),
        "converged": bool(out.get("converged")),
        "cache_key": out.get("cache_key"),
        "uuid": out.get("reused_from_uuid") or uuid,
        "label": label,
    }


def relaxed_structures(store: JobStore) -> tuple[list[dict[str, Any]], int]:
    """Return every converged relaxed bulk, slab and Li configuration with its provenance.

    Each relaxation (``ase_calc`` document with task ``relax``, one per cache key: a reused
    result is the job that computed it) is described by the surface-energy, Li-site or
    Li-layer document whose relaxed structure it is (material, facet, termination, site);
    a cell relaxation is a ``bulk``. A family structure with no relaxation document of its
    own (e.g. relaxed by another code's Maker) is kept with the family's numbers.

    Returns
    -------
    tuple
        The entries (``kind``, ``material``, ``facet``, ``termination``, ``site``,
        ``calculator``, ``model``, ``energy_ev``, ``cache_key``, ``uuid``,
        ``structure_hash``, ``structure``, versions, ``label``), oldest first, and the number
        of unconverged relaxations left out.
    """
    family: dict[str, dict[str, Any]] = {}
    for doc_type in _FAMILIES:
        for doc in store.query({"output.doc_type": doc_type}, sort={"completed_at": 1}, load=True):
            for entry in _family_entries(doc):
                family.setdefault(_hash_of(entry["structure"]), entry)
    entries: dict[str, dict[str, Any]] = {}
    skipped = 0
    criteria = {"output.doc_type": "ase_calc", "output.task": "relax"}
    for doc in store.query(criteria, sort={"completed_at": 1}):
        entry = _calc_entry(doc["output"], doc["uuid"])
        if not entry["converged"]:
            skipped += 1
            continue
        key = _hash_of(entry["structure"])
        described = family.pop(key, None)
        if described is not None and entry["kind"] == "relax":
            entry.update(
                {k: v for k, v in described.items() if k not in ("structure", "energy_ev")}
            )
        entries.setdefault(key, {**entry, "structure_hash": key})
    for key, entry in family.items():
        if not entry["converged"]:
            skipped += 1
            continue
        entries.setdefault(key, {**entry, "cache_key": None, "uuid": entry["family_uuid"],
                                 "label": "", "structure_hash": key})  # fmt: skip
    return list(entries.values()), skipped


def _file_stem(entry: Mapping[str, Any]) -> str:
    calc = "-".join(str(x) for x in (entry["calculator"], entry["model"]) if x)
    parts = [entry["kind"], entry["material"], entry.get("facet"), entry.get("termination"),
             entry.get("site"), calc, entry["structure_hash"][:8]]  # fmt: skip
    return "_".join(_slug(p) for p in parts if p)


def _provenance(entry: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("kind", "material", "facet", "termination", "site", "label", "energy_ev",
            "calculator", "model", "calculator_version", "lithiophilic_version", "cache_key",
            "uuid", "structure_hash")  # fmt: skip
    return {k: entry[k] for k in keys if entry.get(k) not in (None, "")}


def _write_structure(entry: Mapping[str, Any], path: Path, fmt: str) -> None:
    """Write one entry with its provenance in the CIF block/comments, POSCAR line or extxyz info."""
    prov = _provenance(entry)
    structure = entry["structure"]
    if fmt == "cif":
        from pymatgen.io.cif import CifWriter

        writer = CifWriter(structure)
        (block,) = writer.cif_file.data.values()
        block.header = path.stem
        writer.cif_file.comment = "\n".join(f"# {k}: {v}" for k, v in prov.items())
        path.write_text(str(writer))
    elif fmt == "poscar":
        from pymatgen.io.vasp import Poscar

        comment = " ".join(f"{k}={_slug(v) if isinstance(v, str) else v}" for k, v in prov.items())
        Poscar(structure, comment=comment).write_file(path)
    else:
        from ase.io import write
        from pymatgen.io.ase import AseAtomsAdaptor

        atoms = AseAtomsAdaptor.get_atoms(structure)
        atoms.info = {k: v for k, v in prov.items()}
        write(path, atoms, format="extxyz")


def export_structures(store: JobStore, out_dir: str | Path, *, fmt: str) -> list[Path]:
    """Write every relaxed bulk, slab and Li configuration of ``store`` to ``out_dir``.

    One file per structure (:func:`relaxed_structures`), named
    ``KIND_MATERIAL[_FACET][_TERMINATION][_SITE]_CALCULATOR-MODEL_HASH8.SUFFIX``, with its
    provenance (energy_ev, calculator, model, cache_key, uuid, ...) in the CIF data block name
    and comment lines, the POSCAR comment line or the extxyz info; ``manifest.json`` lists
    every file with its provenance.

    Parameters
    ----------
    store
        The job store.
    out_dir
        Directory to write (created).
    fmt
        ``"cif"``, ``"poscar"`` or ``"extxyz"``.

    Returns
    -------
    list of Path
        The structure files written (empty when the store holds no relaxed structure).

    Raises
    ------
    ConfigurationError
        If ``fmt`` is not a known format.
    """
    if fmt not in STRUCTURE_FORMATS:
        msg = f"format: {fmt!r} is not one of {', '.join(STRUCTURE_FORMATS)}"
        raise ConfigurationError(msg)
    entries, skipped = relaxed_structures(store)
    if skipped:
        logger.warning("%d unconverged relaxation(s) not exported", skipped)
    if not entries:
        return []
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths, manifest = [], []
    for entry in entries:
        path = out / f"{_file_stem(entry)}.{STRUCTURE_FORMATS[fmt]}"
        _write_structure(entry, path, fmt)
        paths.append(path)
        manifest.append({"file": path.name, **_provenance(entry)})
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return paths
