"""Surface results as pymatgen objects: ``SlabEntry``, the bulk entry and the Wulff shape.

A user who has our surface-energy documents (``doc_type == "surface_energy"``) and the
relaxed bulk (``ase_calc`` document of the bulk relaxation) gets pymatgen's
``SurfaceEnergyPlotter`` and ``WulffShape`` from them::

    from lithiophilic.db import get_store
    from lithiophilic.analysis.surface_entries import wulff_shape

    store = get_store()
    surfaces = [d["output"] for d in store.query({"output.doc_type": "surface_energy",
                                                  "output.material": "Cu"})]
    bulk = store.query_one({"output.doc_type": "ase_calc", "output.label": "Cu bulk"})["output"]
    wulff_shape(surfaces, bulk).get_plot()
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lithiophilic.errors import AnalysisError
from lithiophilic.units import EV_PER_A2_TO_J_PER_M2

__all__ = ["bulk_entry", "slab_entries", "surface_energy_plotter", "wulff_shape"]


def _as_dict(doc: Any) -> Mapping[str, Any]:
    return doc if isinstance(doc, Mapping) else doc.model_dump()


def _structure(value: Any) -> Any:
    from pymatgen.core import Structure

    return Structure.from_dict(value) if isinstance(value, Mapping) else value


def slab_entries(docs: Sequence[Any]) -> list[Any]:
    """Return a pymatgen ``SlabEntry`` per surface-energy document with a relaxed γ.

    The entry holds the relaxed slab, its Miller index and the slab energy, so pymatgen's
    ``SlabEntry.surface_energy(bulk_entry(...))`` gives our ``gamma_relaxed_ev_per_a2``
    (eV/Å²): for a slab relaxed on both faces the energy is the relaxed slab energy
    ``slab_energy_relaxed_ev``; for a one-face relaxation (``fix == "bottom"``) it is the
    energy of the symmetric slab with that γ, ``N·ε_bulk + 2A·γ_relaxed`` (pymatgen divides
    by two faces), noted in ``entry.data["energy_note"]``. Non-stoichiometric slabs keep
    their relaxed energy: pymatgen needs elemental ``ref_entries`` for their γ(Δμ).
    ``entry.data`` carries our γ (eV/Å², J/m²), termination, calculator and the document's
    ``dir_name``; documents whose relaxation did not converge give no entry.

    Parameters
    ----------
    docs
        ``SurfaceEnergyDoc`` objects or their stored ``output`` dicts.

    Returns
    -------
    list of pymatgen.analysis.surface_analysis.SlabEntry
    """
    from pymatgen.analysis.surface_analysis import SlabEntry

    entries = []
    for doc in map(_as_dict, docs):
        gamma = doc.get("gamma_relaxed_ev_per_a2")
        if not doc.get("converged") or gamma is None:
            continue
        structure = _structure(doc["relaxed_structure"])
        energy, note = float(doc["slab_energy_relaxed_ev"]), "relaxed slab energy, eV"
        if doc.get("fix") == "bottom" and doc.get("method") == "stoichiometric":
            energy = doc["n_atoms"] * doc["bulk_energy_per_atom_ev"] + 2 * doc["area_a2"] * gamma
            note = "N*eps_bulk + 2*A*gamma_relaxed (one face relaxed), eV"
        miller = tuple(int(i) for i in doc["miller"])
        seed = doc.get("sqs_seed")
        label = f"{doc['material']} ({''.join(map(str, miller))}) t{doc['termination']}"
        entries.append(
            SlabEntry(
                structure,
                energy,
                miller,
                label=label + (f" s{seed}" if seed is not None else ""),
                data={
                    "gamma_relaxed_ev_per_a2": gamma,
                    "gamma_relaxed_j_per_m2": doc.get("gamma_relaxed_j_per_m2"),
                    "termination": doc["termination"],
                    "method": doc.get("method"),
                    "energy_note": note,
                    "calculator_name": doc.get("calculator_name"),
                    "calculator_model": doc.get("calculator_model"),
                    "dir_name": doc.get("dir_name"),
                },
            )
        )
    return entries


def bulk_entry(doc: Any) -> Any:
    """Return the ``ComputedStructureEntry`` of a relaxed bulk (an ``ase_calc`` document).

    Its structure and ``energy_ev`` are the relaxed cell's; pymatgen's Wulff construction
    takes the conventional lattice from it (Miller indices are of the conventional cell).
    """
    from pymatgen.entries.computed_entries import ComputedStructureEntry

    doc = _as_dict(doc)
    return ComputedStructureEntry(
        _structure(doc["structure"]),
        float(doc["energy_ev"]),
        data={"calculator_name": doc.get("calculator_name"), "cache_key": doc.get("cache_key")},
    )


def surface_energy_plotter(docs: Sequence[Any], bulk: Any) -> Any:
    """Return pymatgen's ``SurfaceEnergyPlotter`` of the stoichiometric slabs of ``docs``.

    Raises
    ------
    AnalysisError
        If no document has a converged stoichiometric slab.
    """
    from pymatgen.analysis.surface_analysis import SurfaceEnergyPlotter

    stoichiometric = [d for d in map(_as_dict, docs) if d.get("method") == "stoichiometric"]
    entries = slab_entries(stoichiometric)
    if not entries:
        msg = "docs: no converged stoichiometric slab to build a surface-energy plot from"
        raise AnalysisError(msg)
    by_facet: dict[tuple[int, ...], dict[Any, list[Any]]] = {}
    for entry in entries:
        by_facet.setdefault(entry.miller_index, {})[entry] = []
    return SurfaceEnergyPlotter(by_facet, bulk_entry(bulk))


def wulff_shape(docs: Sequence[Any], bulk: Any) -> Any:
    """Return pymatgen's ``WulffShape`` from the lowest relaxed γ per facet, in J/m².

    γ per facet is pymatgen's (``SurfaceEnergyPlotter.get_stable_entry_at_u``, eV/Å², the
    most stable termination) converted to J/m², so ``weighted_surface_energy`` is in J/m²
    (pymatgen's own ``wulff_from_chempot`` keeps eV/Å²; the shape is the same).

    Parameters
    ----------
    docs
        Surface-energy documents of one material (stoichiometric slabs are used).
    bulk
        The relaxed bulk's ``ase_calc`` document (its conventional lattice orients the facets).

    Raises
    ------
    AnalysisError
        If no document has a converged stoichiometric slab.
    """
    from pymatgen.analysis.wulff import WulffShape
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    plotter = surface_energy_plotter(docs, bulk)
    millers = list(plotter.all_slab_entries)
    gammas = [plotter.get_stable_entry_at_u(hkl)[1] * EV_PER_A2_TO_J_PER_M2 for hkl in millers]
    conventional = SpacegroupAnalyzer(
        plotter.ucell_entry.structure
    ).get_conventional_standard_structure()
    return WulffShape(conventional.lattice, millers, gammas)
