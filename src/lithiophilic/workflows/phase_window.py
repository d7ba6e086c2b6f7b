"""The chemical-potential window of a binary compound from its competing phases (Fig. 5a).

γ of a non-stoichiometric slab depends on Δμ of one element; the compound exists only between
its two-phase equilibria with its neighbours on the phase diagram (γ-brass Cu5Zn8: β-CuZn on
the Cu-rich side, ε-CuZn4 on the Zn-rich side). :func:`phase_window_jobs` relaxes the
catalogue's competing phases (:func:`lithiophilic.structures.materials.competing_phases`) with
the compound's own bulk-relaxation Maker and :func:`compute_delta_mu_window` builds the convex
hull of the calculator's own formation energies
(:func:`lithiophilic.analysis.surface.delta_mu_window`).
"""

from __future__ import annotations

import logging
from typing import Any

from jobflow import Job, Maker, job
from pymatgen.io.ase import AseAtomsAdaptor

from lithiophilic.analysis.surface import delta_mu_window, formation_energy_per_atom_ev
from lithiophilic.structures import MATERIALS, make_bulk
from lithiophilic.structures.materials import competing_phases
from lithiophilic.workflows.base import AseCalcDoc
from lithiophilic.workflows.task_docs import as_calc_doc, make_calc_job

__all__ = ["compute_delta_mu_window", "phase_window_jobs"]

logger = logging.getLogger(__name__)


@job
def compute_delta_mu_window(
    material: str,
    bulk: AseCalcDoc,
    elemental_refs: dict[str, float],
    phases: dict[str, AseCalcDoc],
) -> dict[str, Any]:
    """Return the Δμ window of a binary compound from its competing phases (DeltaMuWindow dict).

    Formation energies against the elemental bulks, all relaxed with the same calculator;
    the variable element is the second alphabetically (Zn in Cu–Zn), as in γ(Δμ).
    """
    docs = {material: as_calc_doc(bulk)}
    docs.update({k: as_calc_doc(v) for k, v in phases.items()})
    dep, var = sorted(elemental_refs)
    points = {}
    for name, d in docs.items():
        comp = d.structure.composition.fractional_composition.as_dict()
        dh = formation_energy_per_atom_ev(d.energy_per_atom_ev, comp, elemental_refs)
        points[name] = (comp.get(var, 0.0), dh)
    window = delta_mu_window(material, points, variable_element=var, dependent_element=dep)
    if window.flag:
        logger.warning("%s: %s", material, window.flag)
    out = window.as_dict()
    out["energy_per_atom_ev"] = {k: d.energy_per_atom_ev for k, d in docs.items()}
    out["elemental_energy_per_atom_ev"] = dict(elemental_refs)
    out["calculator_name"] = docs[material].calculator_name
    return out


def phase_window_jobs(
    relax_maker: Maker,
    label: str,
    composition: dict[str, float],
    bulk: Any,
    refs: Any,
) -> tuple[list[Job], Any]:
    """Relax the catalogue's competing phases of a binary system; return the jobs and window.

    Parameters
    ----------
    relax_maker
        Relaxes each competing phase (cell + positions): the Maker that relaxed ``bulk``
        (ours or any atomate2-contract Maker, built with
        :func:`~lithiophilic.workflows.task_docs.make_calc_job`).
    label
        Material label of the compound.
    composition
        Its element fractions (two elements).
    bulk, refs
        Outputs (references) of the compound's bulk relaxation and of the elemental
        energies per atom.

    Returns
    -------
    tuple
        The jobs and the output reference of :func:`compute_delta_mu_window`.
    """
    jobs: list[Any] = []
    docs = {}
    for name in competing_phases(set(composition)):
        if all(abs(MATERIALS[name].composition[el] - x) < 1e-6 for el, x in composition.items()):
            continue  # the material itself
        struct = AseAtomsAdaptor.get_structure(make_bulk(name))
        struct.properties = {}
        pj = make_calc_job(relax_maker, struct, f"{name} competing phase")
        pj.append_name(f" {name} (competing phase)")
        jobs.append(pj)
        docs[name] = pj.output
    wj = compute_delta_mu_window(label, bulk, refs, docs)
    wj.append_name(f" {label}")
    return [*jobs, wj], wj.output
