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
