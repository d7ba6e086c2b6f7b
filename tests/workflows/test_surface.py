from __future__ import annotations

import pytest
from jobflow import run_locally
from pymatgen.io.ase import AseAtomsAdaptor

from lithiophilic.db import get_output_dict
from lithiophilic.errors import ConfigurationError, NotConvergedError
from lithiophilic.potentials import CalculatorSpec
from lithiophilic.structures import make_fcc
from lithiophilic.workflows.base import AseRelaxMaker
from lithiophilic.workflows.surface import SurfaceEnergyMaker


def _emt_maker(**kw):
    kw.setdefault("millers", [[1, 1, 1], [1, 0, 0]])
    kw.setdefault("n_layers", 5)
    kw.setdefault("n_fixed_layers", 1)
    return SurfaceEnergyMaker(**kw).with_calculator(CalculatorSpec("emt"))


def test_emt_cu_flow_end_to_end(in_tmp, embedded_store):
    flow = _emt_maker().make("Cu")
    run_locally(flow, store=embedded_store, ensure_success=True)
    summary = get_output_dict(embedded_store, flow.output.uuid)
    rows = {tuple(r["miller"]): r for r in summary["rows"]}
    assert set(rows) == {(1, 1, 1), (1, 0, 0)}
    for r in rows.values():
        assert r["method"] == "stoichiometric"
        assert r["symmetric"] and r["converged"]
        # relaxing can only lower the energy
        assert r["gamma_relaxed_j_per_m2"] <= r["gamma_unrelaxed_j_per_m2"] + 1e-9
        assert r["gamma_relaxed_ev_per_a2"] * 16.0217663 == pytest.approx(
            r["gamma_relaxed_j_per_m2"], rel=1e-6
        )
    # the close-packed facet has the lower surface energy
    assert rows[(1, 1, 1)]["gamma_relaxed_j_per_m2"] < rows[(1, 0, 0)]["gamma_relaxed_j_per_m2"]
    docs = list(embedded_store.query({"output.doc_type": "surface_energy"}))
    assert len(docs) == 2
    out = docs[0]["output"]
    assert out["calculator_name"] == "emt" and out["calculator_version"]
    assert out["lithiophilic_version"] and out["structure_hash"]
    assert out["bulk_reference"] == "relaxed bulk"


def test_thickness_series(in_tmp, memory_jobstore):
    flow = _emt_maker(millers=[[1, 1, 1]], n_layers=4, thickness_series=[6, 8]).make("Cu")
    run_locally(flow, store=memory_jobstore, ensure_success=True)
    summary = get_output_dict(memory_jobstore, flow.output.uuid)
    (series,) = summary["thickness_convergence"].values()
    assert [int(s[0]) for s in series] == [4, 6, 8]
    # converged in thickness: the 6- and 8-plane values agree within 0.02 J/m^2
    assert abs(series[1][2] - series[2][2]) < 0.02


def test_unconverged_slab_gets_no_relaxed_gamma(in_tmp, memory_jobstore):
    maker = SurfaceEnergyMaker(
        millers=[[1, 0, 0]],
        n_layers=5,
        n_fixed_layers=1,
        slab_relax_maker=AseRelaxMaker(fmax_ev_per_a=1e-6, max_steps=2, allow_unconverged=True),
    ).with_calculator(CalculatorSpec("emt"))
    flow = maker.make("Cu")
    run_locally(flow, store=memory_jobstore, ensure_success=True)
    summary = get_output_dict(memory_jobstore, flow.output.uuid)
    (row,) = summary["rows"]
    assert row["converged"] is False
    assert row["gamma_relaxed_j_per_m2"] is None
    assert summary["n_unconverged"] == 1
    assert summary["lowest_gamma_relaxed_j_per_m2"] == {}


def test_unconverged_relax_raises_by_default(in_tmp):
    from lithiophilic.workflows.base import run_ase_calc

    s = AseAtomsAdaptor.get_structure(make_fcc("Cu", cubic=True))
    s.perturb(0.1)
    with pytest.raises(NotConvergedError, match="not converged after 1 steps"):
        run_ase_calc(
            s, calculator=CalculatorSpec("emt"), task="relax", fmax_ev_per_a=1e-6, max_steps=1
        )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"vacuum_a": 5.0}, "vacuum_a"),
        ({"millers": [[0, 0, 0]]}, "miller"),
        ({"n_layers": 3, "n_fixed_layers": 2}, "n_layers"),
        ({"fix": "top"}, "fix"),
        ({"sqs_samples": 0}, "sqs_samples"),
    ],
)
def test_bad_settings(kwargs, match):
    with pytest.raises(ConfigurationError, match=match):
        SurfaceEnergyMaker(**kwargs)


def test_emt_refuses_zn():
    with pytest.raises(ConfigurationError, match="not valid for element"):
        _emt_maker().make("Cu5Zn8")


def test_ordered_alloy_gets_gamma_vs_delta_mu(in_tmp, memory_jobstore):
    """L1_2 Cu3Au (EMT): symmetric (100) slabs are Cu- or Au-rich -> gamma(dmu_Au) over a range."""
    from ase.spacegroup import crystal

    cu3au = crystal(["Au", "Cu"], basis=[(0, 0, 0), (0, 0.5, 0.5)], spacegroup=221, cellpar=3.75)
    maker = _emt_maker(millers=[[1, 0, 0]], min_thickness_a=7.0, n_fixed_layers=1)
    flow = maker.make(AseAtomsAdaptor.get_structure(cu3au), name="Cu3Au")
    run_locally(flow, store=memory_jobstore, ensure_success=True)
    summary = get_output_dict(memory_jobstore, flow.output.uuid)
    rows = summary["rows"]
    assert len(rows) == 2  # Au-containing and pure-Cu terminations
    for r in rows:
        assert r["symmetric"]
        assert r["method"] == "chemical-potential"
        assert r["gamma_relaxed_min_j_per_m2"] < r["gamma_relaxed_max_j_per_m2"]
    docs = [d["output"] for d in memory_jobstore.query({"output.doc_type": "surface_energy"})]
    line = docs[0]["gamma_vs_delta_mu"]
    assert line["variable_element"] == "Cu" or line["variable_element"] == "Au"
    assert line["bulk_stable"]  # EMT Cu3Au is stable against fcc Cu + fcc Au
    assert line["delta_mu_min_ev"] == pytest.approx(
        line["formation_energy_per_atom_ev"] / 0.25
        if line["variable_element"] == "Au"
        else line["formation_energy_per_atom_ev"] / 0.75
    )
    assert docs[0]["elemental_energy_per_atom_ev"].keys() == {"Au", "Cu"}


@pytest.mark.mlip
def test_sevenn_cu111_surface_energy(in_tmp, embedded_store):
    """SevenNet-0 Cu(111): gamma in 1.0-1.6 J/m^2 (PBE ~1.3), below Cu(100)."""
    maker = SurfaceEnergyMaker(millers=[[1, 1, 1], [1, 0, 0]], n_layers=4, n_fixed_layers=0)
    flow = maker.make("Cu")
    run_locally(flow, store=embedded_store, ensure_success=True)
    summary = get_output_dict(embedded_store, flow.output.uuid)
    rows = {tuple(r["miller"]): r for r in summary["rows"]}
    g111 = rows[(1, 1, 1)]["gamma_relaxed_j_per_m2"]
    assert 1.0 < g111 < 1.6
    assert g111 < rows[(1, 0, 0)]["gamma_relaxed_j_per_m2"]
    assert summary["calculator_model"] == "7net-0"
    # relaxed bulk lattice constant of SevenNet-0 (PBE-like): 3.60-3.66 A
    a = summary["bulk_volume_per_atom_a3"] ** (1 / 3) * 4 ** (1 / 3)
    assert 3.60 < a < 3.66


def test_random_alloy_uses_oriented_sqs_cells(in_tmp, memory_jobstore):
    """Cu0.64Ni0.36 (EMT): one slab per SQS sample, each referenced to its own relaxed cell."""
    maker = _emt_maker(
        millers=[[1, 1, 1]], sqs_samples=2, sqs_n_layers=6, n_fixed_layers=2, sqs_n_atoms=25
    )
    flow = maker.make("Cu0.64Ni0.36")
    run_locally(flow, store=memory_jobstore, ensure_success=True)
    docs = sorted(
        (d["output"] for d in memory_jobstore.query({"output.doc_type": "surface_energy"})),
        key=lambda d: d["sqs_seed"],
    )
    assert [d["sqs_seed"] for d in docs] == [0, 1]
    for d in docs:
        assert d["method"] == "stoichiometric"
        assert d["counts"] == {"Cu": 96, "Ni": 54}  # exact 64:36
        assert d["bulk_reference"].startswith("relaxed oriented SQS cell")
        assert "SQS" in d["faces_note"]
        assert d["sqs_max_abs_delta_pair"] < 0.05
        assert 0.8 < d["gamma_relaxed_j_per_m2"] < 2.0
    # two decorations are two samples: their gammas differ
    assert docs[0]["gamma_relaxed_j_per_m2"] != pytest.approx(
        docs[1]["gamma_relaxed_j_per_m2"], abs=1e-4
    )


def test_sqs_plane_count_must_fit_stacking():
    maker = SurfaceEnergyMaker(millers=[[1, 1, 1]], sqs_n_layers=4)
    with pytest.raises(ConfigurationError, match="multiple of 3"):
        maker.make("Cu0.64Zn0.36")


def test_rerun_reuses_every_calculation(in_tmp, embedded_store):
    """A second identical campaign computes nothing new: every calc job returns the stored result."""
    maker = _emt_maker(millers=[[1, 1, 1]], n_layers=5)
    first = maker.make("Cu")
    run_locally(first, store=embedded_store, ensure_success=True)
    n_first = embedded_store.count({"output.doc_type": "ase_calc", "output.reused_from_uuid": None})
    second = maker.make("Cu")
    run_locally(second, store=embedded_store, ensure_success=True)
    calc_docs = list(embedded_store.query({"output.doc_type": "ase_calc"}, properties=["output"]))
    fresh = [d for d in calc_docs if d["output"].get("reused_from_uuid") is None]
    assert len(fresh) == n_first == 3  # bulk relax, slab static, slab relax
    assert len(calc_docs) == 6
    a = get_output_dict(embedded_store, first.output.uuid)["rows"][0]
    b = get_output_dict(embedded_store, second.output.uuid)["rows"][0]
    assert a["gamma_relaxed_j_per_m2"] == b["gamma_relaxed_j_per_m2"]
    # a changed setting is a different calculation
    third = _emt_maker(millers=[[1, 1, 1]], n_layers=5, vacuum_a=16.0).make("Cu")
    run_locally(third, store=embedded_store, ensure_success=True)
    fresh = embedded_store.count({"output.doc_type": "ase_calc", "output.reused_from_uuid": None})
    assert fresh == 5  # the bulk is reused; the new slab's static and relax are computed
