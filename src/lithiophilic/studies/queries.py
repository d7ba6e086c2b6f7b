"""Queries the studies share: the newest stored rows of each result family.

The surface-energy rows moved to :func:`lithiophilic.studies.surface.surface_energy_rows`
(re-exported here for callers of the old name).

``db`` knows the database; these functions know which document fields each study reads.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from lithiophilic.db import latest_rows
from lithiophilic.studies.surface import surface_energy_rows

if TYPE_CHECKING:
    from jobflow import JobStore

__all__ = ["li_site_rows", "multilayer_docs", "surface_energy_rows"]

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
    return latest_rows(store, "li_site", _SITE_KEYS, identity, materials, calculator)


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
