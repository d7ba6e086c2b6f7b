"""atomate2 Makers inside our surface study: Cu(111) γ with atomate2's ForceFieldRelaxMaker.

Runs the quick Cu(111) surface study twice into one in-memory store (job directories in a
temporary directory): once with our Makers, once with atomate2's SevenNet-0 Makers
(``force_field_name="SevenNet"``; the model ``7net-0`` ships in the ``sevenn`` wheel, nothing
is downloaded) in the three relax/static slots. The slab keeps one fixed plane, which reaches
atomate2 as ``selective_dynamics`` -> ASE ``FixAtoms``. About 40 s of CPU (two cores)::

    OMP_NUM_THREADS=2 .venv/bin/python examples/atomate2_in_surface_study.py
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace

from atomate2.forcefields.jobs import ForceFieldRelaxMaker, ForceFieldStaticMaker
from jobflow import JobStore
from maggma.stores import MemoryStore

from lithiophilic import defaults
from lithiophilic.db import get_output_dict
from lithiophilic.studies import surface
from lithiophilic.workflows.task_docs import as_calc_doc


def main() -> dict[str, float]:
    """Run both variants and return their relaxed γ (J/m²) and the fixed atom's displacement."""
    options = surface.Options.quick(
        materials=["Cu"],
        millers=[[1, 1, 1]],
        calculator="sevenn",
        n_layers=5,
        n_fixed_layers=1,
        slab_fmax_ev_per_a=0.005,  # below the ~0.03 eV/Å surface forces: the planes move
    )
    atomate2_maker = replace(
        surface.surface_maker(options),
        bulk_relax_maker=ForceFieldRelaxMaker(
            force_field_name="SevenNet",
            relax_cell=True,
            steps=defaults.BULK_MAX_STEPS,
            relax_kwargs={"fmax": defaults.BULK_FMAX_EV_PER_A},
            optimizer_kwargs={"optimizer": defaults.OPTIMIZER},
        ),
        slab_static_maker=ForceFieldStaticMaker(force_field_name="SevenNet"),
        slab_relax_maker=ForceFieldRelaxMaker(
            force_field_name="SevenNet",
            relax_cell=False,  # a slab keeps its cell; required by the slot
            steps=defaults.SLAB_MAX_STEPS,
            relax_kwargs={"fmax": options.slab_fmax_ev_per_a},
            optimizer_kwargs={"optimizer": defaults.OPTIMIZER},
        ),
    )
    store = JobStore(MemoryStore(), additional_stores={"data": MemoryStore()})
    ours = surface.build_flows(options)
    theirs = {"Cu": atomate2_maker.make("Cu", name="Cu")}
    with tempfile.TemporaryDirectory() as data_dir:  # job directories (opt.log, final atoms)
        surface.run(options, store, flows=ours, data_dir=data_dir)
        surface.run(options, store, flows=theirs, data_dir=data_dir)
    (row_ours,) = get_output_dict(store, ours["Cu"].output.uuid)["rows"]
    (row_a2,) = get_output_dict(store, theirs["Cu"].output.uuid)["rows"]
    # the atomate2 slab relaxation, as atomate2 stored it and as our flows read it
    raw = store.query_one(
        {"output.forcefield_name": "MLFF.SevenNet", "output.input.relax_cell": False},
        properties=["output"],
        sort={"completed_at": -1},
    )["output"]
    doc = as_calc_doc(raw)
    start = raw["input"]["mol_or_struct"]["sites"]  # first frame of atomate2's trajectory
    sd = doc.structure.site_properties["selective_dynamics"]  # FixAtoms written back
    fixed = [i for i, flags in enumerate(sd) if not any(flags)]
    shift = max(
        doc.structure[i].distance_and_image_from_frac_coords(start[i]["abc"])[0] for i in fixed
    )
    return {
        "gamma_relaxed_j_per_m2_ours": row_ours["gamma_relaxed_j_per_m2"],
        "gamma_relaxed_j_per_m2_atomate2": row_a2["gamma_relaxed_j_per_m2"],
        "delta_gamma_mev_per_a2": 1e3
        * (row_a2["gamma_relaxed_ev_per_a2"] - row_ours["gamma_relaxed_ev_per_a2"]),
        "fixed_atoms": len(fixed),
        "fixed_atom_max_shift_a": shift,
        "atomate2_slab_relax_steps": doc.n_steps,
    }


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))  # noqa: T201
