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

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jobflow import JobStore
from maggma.stores import MontyStore

from lithiophilic.analysis.surface import SURFACE_ROW_KEYS
from lithiophilic.errors import ConfigurationError

__all__ = [
    "DEFAULT_DATA_DIR",
    "describe_store",
    "export_results",
    "get_data_dir",
    "get_output_dict",
    "get_store",
    "li_site_rows",
    "list_results",
    "surface_energy_rows",
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
        ``"jobflow"`` (jobflow's configured ``JOB_STORE``), or a path to a JobStore file.
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
        docs = MontyStore(
            "outputs", database_path=str(path), database_name=_DB_NAME, storage="sqlite", key="uuid"
        )
        data = MontyStore(
            "outputs_data",
            database_path=str(path),
            database_name=_DB_NAME,
            storage="sqlite",
            key="blob_uuid",
        )
        js = JobStore(docs, additional_stores={"data": data})
    elif choice == "jobflow":
        from jobflow import SETTINGS

        js = SETTINGS.JOB_STORE
    else:
        file = Path(choice).expanduser()
        if not file.is_file():
            msg = (
                f"store: {choice!r} is neither 'embedded', 'jobflow' nor an existing JobStore "
                "file (YAML/JSON in jobflow's format)"
            )
            raise ConfigurationError(msg)
        try:
            js = JobStore.from_file(file)
        except Exception as exc:
            msg = f"store: could not build a JobStore from {file} ({type(exc).__name__})"
            raise ConfigurationError(msg) from exc
    if connect:
        js.connect()
    return js


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


_SE_KEYS = (
    *SURFACE_ROW_KEYS,
    "gamma_unrelaxed_ev_per_a2",
    "calculator_name",
    "calculator_model",
    "calculator_version",
    "bulk_reference",
    "faces_note",
)


def _latest_rows(
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


def surface_energy_rows(
    store: JobStore, *, materials: list[str] | None = None, calculator: str | None = None
) -> list[dict[str, Any]]:
    """Return one row per stored slab surface energy (the newest per slab and calculator)."""
    identity = (
        "material",
        "miller",
        "termination",
        "sqs_seed",
        "n_layers",
        "calculator_name",
        "calculator_model",
    )
    return _latest_rows(store, "surface_energy", _SE_KEYS, identity, materials, calculator)


def export_results(store: JobStore, path: str | Path, *, doc_type: str | None = None) -> Path:
    """Export lithiophilic documents (outputs with a ``doc_type``) to a JSON file."""
    criteria: dict[str, Any] = (
        {"output.doc_type": doc_type} if doc_type else {"output.doc_type": {"$exists": True}}
    )
    docs = []
    for doc in store.query(criteria=criteria, sort={"completed_at": 1}):
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


_SITE_KEYS = (
    "material",
    "miller",
    "site_label",
    "site_kind",
    "final_site_kind",
    "moved",
    "subsurface",
    "converged",
    "binding_energy_bcc_ev",
    "binding_energy_atom_ev",
    "adsorption_energy_bcc_ev",
    "adsorption_energy_atom_ev",
    "calculator_name",
    "calculator_model",
)


def li_site_rows(
    store: JobStore, *, materials: list[str] | None = None, calculator: str | None = None
) -> list[dict[str, Any]]:
    """Return one row per stored single-Li site result (the newest per site and calculator)."""
    identity = ("material", "miller", "site_label", "calculator_name", "calculator_model")
    return _latest_rows(store, "li_site", _SITE_KEYS, identity, materials, calculator)


def multilayer_docs(
    store: JobStore, *, materials: list[str] | None = None, calculator: str | None = None
) -> list[dict[str, Any]]:
    """Return the newest multilayer-Li document per material, facet, construction and calculator."""
    criteria: dict[str, Any] = {"output.doc_type": "li_multilayer"}
    if calculator:
        criteria["output.calculator_name"] = calculator
    latest: dict[str, dict[str, Any]] = {}
    for doc in store.query(criteria=criteria, sort={"completed_at": 1}):
        out = doc["output"]
        if materials and out.get("material") not in materials:
            continue
        key = json.dumps(
            [out.get(k) for k in ("material", "miller", "construction", "calculator_name")]
        )
        latest[key] = {**out, "uuid": doc["uuid"]}
    return list(latest.values())
