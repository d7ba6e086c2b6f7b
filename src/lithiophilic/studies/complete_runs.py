"""Records of complete study runs: a re-run of the same inputs with the same code runs no job.

A study's ``run`` builds its flows and runs them; on a database that already holds every
result, each job finds its stored output by cache key, but every job still starts, reads the
store, and writes a full copy of its output under a new uuid (the database grows with each
re-run). After a run in which no flow failed, :func:`record` writes
``DATA_DIR/complete-runs/<study>-<key>.json`` naming the output uuid of each flow. The next
``run`` with the same :func:`run_key` (the options, the content of every file they name, the
package's own files and the installed distributions' versions) checks that the store still
holds each of those outputs (:func:`stored_outputs`) and, if so, builds and runs nothing:
``collect`` reads the stored results, as it would after the re-run.

Anything that could change a result changes the key: an option (``workers`` aside: the
results are the same for any number of workers), an edit of lithiophilic's code or package
data (a development install too), an upgraded calculator, ASE or pymatgen, a changed
potential or structure file. A record whose outputs are gone from the store (another store,
a deleted document, a memory store) is ignored, and so are runs of flows other than the
study's own (:func:`own_flows`). ``LITHIOPHILIC_REUSE_COMPLETE_RUNS=0`` ignores every record
(each job's own cache-key reuse still applies).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lithiophilic.provenance import LITHIOPHILIC_VERSION

if TYPE_CHECKING:
    from jobflow import JobStore
    from pydantic import BaseModel

__all__ = [
    "DIRECTORY",
    "ENV",
    "built_from_options",
    "enabled",
    "own_flows",
    "record",
    "recorded",
    "run_key",
    "stored_outputs",
]

logger = logging.getLogger(__name__)

#: Folder of the data directory holding the records.
DIRECTORY = "complete-runs"
#: Environment variable: "0" ignores (and writes no) records.
ENV = "LITHIOPHILIC_REUSE_COMPLETE_RUNS"
#: Options that do not change a result (bit-for-bit the same for any value).
_NOT_IN_KEY = frozenset({"workers"})
#: Version of the key's recipe (a new recipe ignores every older record).
_KEY_VERSION = 1


def enabled() -> bool:
    """Whether records are written and used (``$LITHIOPHILIC_REUSE_COMPLETE_RUNS`` is not 0)."""
    return os.environ.get(ENV, "1").strip().lower() not in {"0", "false", "no", "off"}


@cache
def _code_hash() -> str:
    """Hash of every file of the installed package (code and package data), bytecode aside."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            digest.update(str(path.relative_to(root)).encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@cache
def _distributions() -> tuple[str, ...]:
    """name==version of every installed distribution (calculators, ASE, pymatgen, GPAW...)."""
    found = set()
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]  # None for a broken distribution
        if name:
            found.add(f"{name.lower()}=={dist.version}")
    return tuple(sorted(found))


def _file_digests(value: Any, out: dict[str, str]) -> None:
    """Add the content hash of every existing file named by a string in ``value``."""
    if isinstance(value, Mapping):
        for item in value.values():
            _file_digests(item, out)
    elif isinstance(value, list | tuple):
        for item in value:
            _file_digests(item, out)
    elif isinstance(value, str) and 0 < len(value) < 4096 and "\n" not in value:
        try:
            path = Path(value).expanduser()
            if path.is_file():
                out[value] = hashlib.sha256(path.read_bytes()).hexdigest()
        except (OSError, ValueError):
            pass


def _without_workers(value: Any) -> Any:
    """``value`` without the keys of :data:`_NOT_IN_KEY`, at any depth (nested study options)."""
    if isinstance(value, Mapping):
        return {k: _without_workers(v) for k, v in value.items() if k not in _NOT_IN_KEY}
    if isinstance(value, list):
        return [_without_workers(v) for v in value]
    return value


def run_key(options: BaseModel) -> str:
    """Return the key of a run of ``options``: the same key, the same results.

    Hash of the study (the options' class), the options (``workers`` aside), the content of
    every file they name, the package's files and the installed distributions' versions.
    """
    dumped = _without_workers(options.model_dump(mode="json"))
    files: dict[str, str] = {}
    _file_digests(dumped, files)
    blob = json.dumps(
        [
            _KEY_VERSION,
            f"{type(options).__module__}.{type(options).__qualname__}",
            dumped,
            files,
            _code_hash(),
            _distributions(),
        ],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


#: Flows built by a study's ``build_flows`` from the options they are marked with
#: (:func:`built_from_options`), until :func:`own_flows` takes them.
_OWN: dict[int, tuple[Any, str]] = {}


def built_from_options(flows: Mapping[str, Any], options: BaseModel) -> Mapping[str, Any]:
    """Mark ``flows`` as the study's own ``build_flows(options)`` (a caller that builds first)."""
    _OWN[id(flows)] = (flows, run_key(options))
    return flows


def own_flows(flows: Mapping[str, Any] | None, options: BaseModel) -> bool:
    """Whether a run of ``flows`` is the run of ``options`` that records describe.

    True for no flows (the study builds its own) and for flows marked by
    :func:`built_from_options` with these options; False for any other flows handed to a
    study's ``run`` (e.g. atomate2 Makers composed in), whose run is neither answered by nor
    written to a record.
    """
    if flows is None:
        return True
    entry = _OWN.pop(id(flows), None)
    return entry is not None and entry[0] is flows and entry[1] == run_key(options)


def _study(options: BaseModel) -> str:
    return str(getattr(options, "study", "") or type(options).__module__.rsplit(".", 1)[-1])


def _path(data_dir: Path, options: BaseModel, key: str) -> Path:
    study = _study(options)
    return data_dir / DIRECTORY / f"{study}-{key}.json"


def recorded(data_dir: Path, options: BaseModel) -> bool:
    """Whether a record of ``options`` exists (not checked against a store; cheap)."""
    return enabled() and _path(data_dir, options, run_key(options)).is_file()


def stored_outputs(store: JobStore, data_dir: Path, options: BaseModel) -> dict[str, str] | None:
    """Return label -> output uuid of the recorded complete run of ``options``, if still stored.

    None when records are disabled, there is no record with this key, it cannot be read, or
    the store lacks one of its outputs.
    """
    if not enabled():
        return None
    path = _path(data_dir, options, run_key(options))
    try:
        outputs = dict(json.loads(path.read_text())["outputs"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("ignoring unreadable record %s: %s", path, exc)
        return None
    for label, uuid in outputs.items():
        # the last index: a job replaced at run time (one job per Li site...) stores its
        # output under its uuid with a higher index, as jobflow's get_output reads it
        doc = store.query_one(
            {"uuid": uuid}, properties=["uuid", "output"], sort={"index": -1}, load=False
        )
        if doc is None or doc.get("output") is None:
            logger.info("record %s: output of %s (%s) is not in the store", path.name, label, uuid)
            return None
    logger.info(
        "%s: a complete run of these options and this code is stored (%s): no job runs, "
        "the stored results are collected",
        _study(options),
        path,
    )
    return outputs


def record(data_dir: Path, options: BaseModel, outputs: Mapping[str, str]) -> Path | None:
    """Record a run of ``options`` in which no flow failed (``outputs``: label -> output uuid)."""
    if not enabled():
        return None
    key = run_key(options)
    path = _path(data_dir, options, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "study": _study(options),
        "key": key,
        "outputs": dict(outputs),
        "completed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "lithiophilic_version": LITHIOPHILIC_VERSION,
        "options": options.model_dump(mode="json"),
    }
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(doc, indent=1, default=str))
    os.replace(tmp, path)
    return path
