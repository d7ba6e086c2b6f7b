"""atomate2 interop: our Makers inside atomate2 flows, atomate2 Makers inside our studies.

atomate2 0.1.5 names SevenNet ``MLFF.SevenNet`` (``force_field_name="SevenNet"``); its default
``calculator_kwargs`` are ``{"model": "7net-0"}``, which ``sevenn`` loads from the checkpoint
shipped in its wheel (no download), the same weights as our registry's ``"sevenn"``.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from ase.build import fcc111
from ase.constraints import FixAtoms
from atomate2.forcefields.jobs import ForceFieldRelaxMaker, ForceFieldStaticMaker
from atomate2.forcefields.schemas import ForceFieldTaskDocument
from jobflow import Flow, run_locally
from monty.json import jsanitize
from pymatgen.core import Lattice, Structure
from pymatgen.io.ase import AseAtomsAdaptor

from lithiophilic import defaults
from lithiophilic.db import get_output_dict
from lithiophilic.errors import ConfigurationError
from lithiophilic.potentials import CalculatorSpec
from lithiophilic.structures import make_fcc
from lithiophilic.studies import surface
from lithiophilic.workflows.base import AseCalcDoc, AseRelaxMaker, AseStaticMaker, run_ase_calc
from lithiophilic.workflows.binding import LiSiteBindingMaker
from lithiophilic.workflows.surface import SurfaceEnergyMaker
from lithiophilic.workflows.task_docs import (
    as_calc_doc,
    calculator_kind,
    from_forcefield_task_doc,
    make_calc_job,
    to_forcefield_task_doc,
    with_calculator_spec,
)

SEVENNET = "SevenNet"  # atomate2's MLFF.SevenNet; model 7net-0 from the sevenn wheel


def _cu111_slab(n_fixed: int = 2) -> Structure:
    """A 4-plane Cu(111) slab, its two bottom atoms fixed, lightly rattled (4 atoms)."""
    slab = fcc111("Cu", (1, 1, 4), a=3.62, vacuum=6.0)
    slab.rattle(0.03, seed=3)
    slab.set_constraint(FixAtoms(indices=list(range(n_fixed))))
    structure = AseAtomsAdaptor.get_structure(slab)
    structure.properties = {}  # ASE's adsorbate_info holds arrays
    return structure


def _fixed(structure: Structure) -> np.ndarray:
    sd = structure.site_properties["selective_dynamics"]
    return np.array([not any(s) for s in sd])


# --------------------------------------------------------------------------- documents
@pytest.mark.mlip
def test_forcefield_task_doc_round_trip(in_tmp):
    ours = run_ase_calc(
        _cu111_slab(),
        calculator=CalculatorSpec("sevenn"),
        task="relax",
        fmax_ev_per_a=0.05,
        max_steps=100,
        optimizer="BFGS",
        label="Cu(111) test slab",
        reuse=False,
    )
    assert ours.converged and ours.n_steps > 0
    ff = to_forcefield_task_doc(ours)
    assert isinstance(ff, ForceFieldTaskDocument)
    # atomate2's own fields hold the numbers atomate2 users query
    assert ff.forcefield_name == "MLFF.SevenNet"
    assert ff.forcefield_version == ours.calculator_version
    assert ff.output.energy == ours.energy_ev
    assert ff.structure == ours.structure
    assert f"cache_key={ours.cache_key}" in ff.tags
    assert "label=Cu(111) test slab" in ff.tags
    assert ff.state.value == "successful" and ff.is_force_converged
    # back: object, and the dict jobflow stores
    for form in (ff, jsanitize(ff, strict=True, allow_bson=True, enum_values=True)):
        back = from_forcefield_task_doc(form)
        assert back.energy_ev == ours.energy_ev
        assert back.structure == ours.structure
        assert back.cache_key == ours.cache_key
        assert back.label == ours.label
        assert back.reused_from_uuid == ours.reused_from_uuid
        assert back.calculator_name == "sevenn"
        assert back.calculator_model == "7net-0"
        assert back.calculator_version == ours.calculator_version
        assert back.calculator_settings == ours.calculator_settings
        assert as_calc_doc(form) == back
    # the fixed atoms survive in both directions (selective_dynamics)
    assert _fixed(back.structure).tolist() == [True, True, False, False]
    # our document is read unchanged
    assert as_calc_doc(ours) is ours
    assert as_calc_doc(ours.model_dump()) == ours


def _vasp_task_doc():
    from emmet.core.tasks import OutputDoc, TaskDoc
    from emmet.core.vasp.calculation import CalculationInput

    cu = Structure(
        Lattice.cubic(3.61), ["Cu"] * 4, [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]]
    )
    incar = {"NSW": 99, "IBRION": 2, "ISIF": 3, "EDIFFG": -0.02, "ENCUT": 520, "ISMEAR": 1}
    step = {"e_fr_energy": -14.8, "e_wo_entrp": -14.8, "e_0_energy": -14.8, "structure": cu}
    calc = {
        "vasp_version": "6.4.2",
        "has_vasp_completed": "successful",
        "input": {"incar": incar, "parameters": {"GGA": "PE"}},
        "output": {"energy": -14.9, "structure": cu, "ionic_steps": [step] * 7},
    }
    return TaskDoc(
        structure=cu,
        output=OutputDoc(
            structure=cu,
            energy=-14.9,
            energy_per_atom=-3.725,
            forces=[[0.01, 0.0, 0.0]] * 4,
            stress=[[-2.0, 0.0, 0.0], [0.0, -2.0, 0.0], [0.0, 0.0, -2.0]],
        ),
        input=CalculationInput(incar=incar, structure=cu),
        state="successful",
        calcs_reversed=[calc],
        dir_name="node01:/scratch/cu-bulk",
        vasp_version="6.4.2",
        task_label="bulk relax Cu",
    )


def test_as_calc_doc_reads_emmet_vasp_task_doc():
    """The VASP helper's jobs return emmet TaskDocs; our consumers read them (object or dict)."""
    task_doc = _vasp_task_doc()
    for form in (task_doc, jsanitize(task_doc, strict=True, allow_bson=True, enum_values=True)):
        d = as_calc_doc(form)
        assert d.task == "relax" and d.relax_cell and d.converged
        assert d.energy_ev == -14.9 and d.energy_per_atom_ev == -3.725
        assert d.n_steps == 7 and d.max_steps == 99
        assert d.fmax_ev_per_a == pytest.approx(0.02)
        assert d.max_force_ev_per_a == pytest.approx(0.01)
        # -2 kbar (VASP: negative pressure) is +2 kbar tensile stress in ASE's sign, eV/Å^3
        assert d.stress_ev_per_a3[:3] == pytest.approx([2.0 * 6.241509e-4] * 3, rel=1e-6)
        assert d.calculator_name == "vasp" and d.calculator_version == "6.4.2"
        assert d.calculator_settings["incar"]["ENCUT"] == 520
        assert d.dir_name == "node01:/scratch/cu-bulk"
        assert d.label == "bulk relax Cu"
        assert d.cache_key == "" and d.source_doc == "emmet.core.tasks.TaskDoc"
        assert math.isnan(d.wall_time_s)
    assert as_calc_doc(task_doc, label="Cu bulk").label == "Cu bulk"


def test_as_calc_doc_errors():
    with pytest.raises(ConfigurationError, match="cannot read a dict"):
        as_calc_doc({"energy": -1.0})
    s = Structure(Lattice.cubic(3.6), ["Cu"], [[0, 0, 0]])
    with pytest.raises(ConfigurationError, match=r"no final structure or no output.energy"):
        as_calc_doc({"structure": s.as_dict(), "forcefield_name": "MLFF.SevenNet", "output": {}})


# --------------------------------------------------------------------------- Maker slots
def test_slots_take_atomate2_makers_without_building_their_calculator():
    ff_relax = ForceFieldRelaxMaker(force_field_name=SEVENNET, relax_cell=False)
    # a slab slot must not relax the cell (atomate2's default relax_cell=True would)
    with pytest.raises(ConfigurationError, match=r"slab_relax_maker: .*relax_cell=True"):
        SurfaceEnergyMaker(slab_relax_maker=ForceFieldRelaxMaker(force_field_name=SEVENNET))
    with pytest.raises(ConfigurationError, match=r"li_relax_maker: .*relax_cell=True"):
        LiSiteBindingMaker(li_relax_maker=ForceFieldRelaxMaker(force_field_name=SEVENNET))
    maker = SurfaceEnergyMaker(
        millers=[[1, 1, 1]], slab_relax_maker=ff_relax, slab_static_maker=ForceFieldStaticMaker()
    )
    # with_calculator swaps ours and leaves atomate2's (it brings its own calculator)
    swapped = maker.with_calculator(CalculatorSpec("emt"))
    assert swapped.bulk_relax_maker.calculator == CalculatorSpec("emt")
    assert swapped.slab_relax_maker is ff_relax
    assert with_calculator_spec(ff_relax, CalculatorSpec("emt")) is ff_relax
    assert calculator_kind(ff_relax) == "mlip"
    assert calculator_kind(AseStaticMaker(calculator=CalculatorSpec("emt"))) == "classical"
    # flows build without loading the model; the job carries our label as tags and metadata
    flow = maker.make("Cu")
    assert flow.jobs
    job = make_calc_job(ff_relax, _cu111_slab(), "Cu(111) t0 n4")
    assert job.metadata["label"] == "Cu(111) t0 n4"
    assert "label=Cu(111) t0 n4" in job.maker.tags and "model=7net-0" in job.maker.tags
    assert ff_relax.tags is None  # the slot's own Maker is not changed
    ours = make_calc_job(AseRelaxMaker(), _cu111_slab(), "mine")
    assert ours.function_kwargs == {"label": "mine", "prev_dir": None}


def test_refinement_needs_our_makers():
    maker = LiSiteBindingMaker(
        li_relax_maker=ForceFieldRelaxMaker(force_field_name=SEVENNET, relax_cell=False)
    ).with_refine_calculator(CalculatorSpec("chgnet"))
    with pytest.raises(ConfigurationError, match=r"refine_calculator: .*li_relax_maker"):
        maker.make("Cu", [1, 1, 1])


# --------------------------------------------------------------------------- flows
@pytest.mark.mlip
def test_our_maker_inside_an_atomate2_flow(in_tmp, memory_jobstore):
    """Our bulk relaxation feeds atomate2's ForceFieldStaticMaker in one jobflow Flow."""
    cu = AseAtomsAdaptor.get_structure(make_fcc("Cu", a_a=3.50))  # compressed start
    ours = AseRelaxMaker(
        calculator=CalculatorSpec("sevenn"), relax_cell=True, fmax_ev_per_a=0.005
    ).make(cu, label="Cu bulk")
    theirs = ForceFieldStaticMaker(force_field_name=SEVENNET).make(ours.output.structure)
    run_locally(Flow([ours, theirs]), store=memory_jobstore, ensure_success=True)
    mine = AseCalcDoc.model_validate(get_output_dict(memory_jobstore, ours.uuid))
    raw = memory_jobstore.query_one({"uuid": theirs.uuid})["output"]
    assert raw["@class"] == "ForceFieldTaskDocument"
    static = as_calc_doc(raw)
    # SevenNet-0 fcc Cu: a = 3.62 Å (PBE 3.63; expt 3.61)
    a_a = (4.0 * mine.volume_a3 / mine.n_atoms) ** (1.0 / 3.0)
    assert a_a == pytest.approx(3.62, abs=0.02)
    # same model, same structure: the same energy and a relaxed (near-zero) stress
    assert static.task == "static" and static.calculator_name == "sevenn"
    assert static.energy_ev == pytest.approx(mine.energy_ev, abs=1e-4)
    assert max(abs(x) for x in static.stress_ev_per_a3) < 5e-4
    # our result written as atomate2's document agrees with atomate2's own
    assert to_forcefield_task_doc(mine).output.energy == pytest.approx(
        raw["output"]["energy"], abs=1e-4
    )


def _atomate2_surface_maker(options: surface.Options) -> SurfaceEnergyMaker:
    """The study's Maker with atomate2's SevenNet Makers in all three slots (same settings)."""
    return replace(
        surface.surface_maker(options),
        bulk_relax_maker=ForceFieldRelaxMaker(
            name="a2 bulk relax",
            force_field_name=SEVENNET,
            relax_cell=True,
            steps=defaults.BULK_MAX_STEPS,
            relax_kwargs={"fmax": defaults.BULK_FMAX_EV_PER_A},
            optimizer_kwargs={"optimizer": defaults.OPTIMIZER},
        ),
        slab_static_maker=ForceFieldStaticMaker(name="a2 slab static", force_field_name=SEVENNET),
        slab_relax_maker=ForceFieldRelaxMaker(
            name="a2 slab relax",
            force_field_name=SEVENNET,
            relax_cell=False,
            steps=defaults.SLAB_MAX_STEPS,
            relax_kwargs={"fmax": options.slab_fmax_ev_per_a},
            optimizer_kwargs={"optimizer": defaults.OPTIMIZER},
        ),
    )


@pytest.mark.mlip
@pytest.mark.slow
def test_atomate2_forcefield_makers_inside_our_surface_study(in_tmp, memory_jobstore):
    options = surface.Options.quick(
        materials=["Cu"],
        millers=[[1, 1, 1]],
        calculator="sevenn",
        n_layers=5,
        n_fixed_layers=1,
        slab_fmax_ev_per_a=0.005,  # below the ~0.03 eV/Å surface forces: the planes move
    )
    ours = surface.build_flows(options)
    theirs = {"Cu": _atomate2_surface_maker(options).make("Cu", name="Cu")}
    surface.run(options, memory_jobstore, flows=ours)
    result = surface.run(options, memory_jobstore, flows=theirs)
    assert not result.failed
    (row_ours,) = get_output_dict(memory_jobstore, ours["Cu"].output.uuid)["rows"]
    (row_a2,) = get_output_dict(memory_jobstore, theirs["Cu"].output.uuid)["rows"]
    assert row_a2["converged"] and row_ours["converged"]
    assert row_a2["calculator"] == "sevenn"  # MLFF.SevenNet read as our registry name
    # same slab, same model and settings: gamma within 2 meV/Å^2 (optimizer paths differ)
    assert row_a2["gamma_relaxed_ev_per_a2"] == pytest.approx(
        row_ours["gamma_relaxed_ev_per_a2"], abs=0.002
    )
    assert row_a2["gamma_unrelaxed_j_per_m2"] == pytest.approx(
        row_ours["gamma_unrelaxed_j_per_m2"], abs=0.02
    )
    # SevenNet-0 Cu(111): ~1.3 J/m^2 (PBE 1.3-1.4)
    assert 1.0 < row_a2["gamma_relaxed_j_per_m2"] < 1.6
    # the atomate2 slab relaxation kept our fixed plane fixed (selective_dynamics -> FixAtoms)
    relax = memory_jobstore.query_one(
        {
            "output.forcefield_name": "MLFF.SevenNet",
            "output.input.relax_cell": False,
            "output.input.steps": defaults.SLAB_MAX_STEPS,
        },
        properties=["output"],
    )["output"]
    start = Structure.from_dict(relax["input"]["mol_or_struct"])  # first trajectory frame
    end = Structure.from_dict(relax["structure"])
    fixed = _fixed(end)  # atomate2 writes the FixAtoms constraint back as selective_dynamics
    assert fixed.sum() == 1
    # atomate2's trajectory frames are wrapped into the cell: compare as periodic distances
    moved = np.array([end[i].distance(start[i]) for i in range(len(end))])
    assert moved[fixed].max() < 1e-10
    assert moved[~fixed].max() > 1e-3  # the free planes did relax
    # a foreign job has no cache key of ours: it ran (not reused) and nothing crashed
    doc = as_calc_doc(relax)
    assert doc.task == "relax" and doc.n_steps > 0 and doc.fmax_ev_per_a == 0.005
    assert doc.cache_key == "" and doc.reused_from_uuid is None
    assert doc.label == "Cu (111) t0 n5"  # our label, carried in atomate2's tags
