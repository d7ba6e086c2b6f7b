"""The Li-layers study (Fig. 5d, 5e) and the binding composite: Options, flows, collect."""

from __future__ import annotations

import logging

import pytest
from ase.build import bulk
from pymatgen.io.ase import AseAtomsAdaptor

from lithiophilic import defaults
from lithiophilic.errors import ConfigurationError
from lithiophilic.structures.li_layers import DEFAULT_MAX_STRAIN
from lithiophilic.studies import binding, li_layers, li_sites
from lithiophilic.workflows.binding import has_fcc_111, is_fcc_substrate

GAMMA_BRASS = defaults.PAPER_ROLES["intermetallic"]
SOLID_SOLUTION = defaults.PAPER_ROLES["solid_solution"]


def _structure(symbol, crystal, a):
    struct = AseAtomsAdaptor.get_structure(bulk(symbol, crystal, a=a))
    struct.properties = {}
    return struct


def _construction(flow):
    """The construction the flow's make_layer_jobs was built with."""
    return flow.jobs[-1].function_args[0].construction


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"layers": 11}, "layers: 11 is outside the allowed range 1–10"),
        ({"layers": 0}, "layers: 0 is outside the allowed range 1–10"),
        ({"construction": "fcc"}, "construction: Input should be 'bcc110' or 'pseudomorphic'"),
        ({"li_growth": "random"}, "li_growth: Input should be 'sequential' or 'independent'"),
        ({"li_max_strain": 0.5}, "li_max_strain: 0.5 is outside the allowed range 0–0.5"),
        ({"li_max_strain": 0.0}, "li_max_strain: 0.0 is outside"),
        ({"li_max_strain": float("nan")}, "li_max_strain: nan is outside"),
        ({"complex_li_max_strain": 0.7}, "complex_li_max_strain: 0.7 is outside"),
        ({"sites": {"li_fmax_ev_per_a": 0.0}}, "sites: .*li_fmax_ev_per_a: 0.0 eV/Å is outside"),
        ({"materials": ["Cu"]}, "materials: Extra inputs are not permitted"),
    ],
)
def test_bad_options_name_the_field(kwargs, match):
    with pytest.raises(ConfigurationError, match=match):
        li_layers.Options(**kwargs)


def test_presets():
    full = li_layers.Options()
    assert (full.layers, full.construction, full.li_growth) == (5, "bcc110", "sequential")
    assert (full.li_max_strain, full.complex_li_max_strain) == (DEFAULT_MAX_STRAIN, None)
    assert full.sites == li_sites.Options()
    quick = li_layers.Options.quick()
    assert quick.layers == 2
    assert quick.li_max_strain == DEFAULT_MAX_STRAIN  # fcc substrates keep the 5 % cells
    assert quick.complex_li_max_strain == defaults.QUICK_LI_MAX_STRAIN  # γ-brass only
    assert quick.sites == li_sites.Options.quick()
    assert li_layers.Options.quick(layers=4).layers == 4


def test_quick_strain_applies_to_gamma_brass_only():
    options = li_layers.Options.quick(sites=li_sites.Options.quick(materials=["Cu", GAMMA_BRASS]))
    flows = li_layers.build_flows(options)
    used = {k: f.jobs[-1].function_args[0].max_strain for k, f in flows.items()}
    assert used == {"Cu layers": DEFAULT_MAX_STRAIN, f"{GAMMA_BRASS} layers": 0.08}
    fmax = {k: f.jobs[-1].function_args[0].li_relax_maker.fmax_ev_per_a for k, f in flows.items()}
    assert set(fmax.values()) == {defaults.QUICK_SLAB_FMAX_EV_PER_A}


def test_save_and_load_round_trip(tmp_path):
    options = li_layers.Options.quick(
        sites=li_sites.Options.quick(materials=["Cu", _structure("Ag", "fcc", 4.09)]),
        construction="pseudomorphic",
    )
    for name in ("o.json", "o.yml"):
        assert li_layers.Options.load(options.save(tmp_path / name)) == options


def test_fcc_check():
    assert has_fcc_111("Cu")
    assert not has_fcc_111(GAMMA_BRASS)
    assert has_fcc_111(_structure("Ag", "fcc", 4.09))
    assert not has_fcc_111(_structure("Fe", "bcc", 2.87))
    assert is_fcc_substrate(None, "sqs")  # random alloys are built on the fcc lattice


def test_pseudomorphic_falls_back_to_bcc110_on_non_fcc(caplog):
    """The construction is decided from the substrate before the flow is built."""
    options = li_layers.Options.quick(
        sites=li_sites.Options.quick(materials=["Cu", GAMMA_BRASS]), construction="pseudomorphic"
    )
    with caplog.at_level(logging.INFO, logger="lithiophilic.studies.li_layers"):
        flows = li_layers.build_flows(options)
    assert _construction(flows["Cu layers"]) == "pseudomorphic"
    assert _construction(flows[f"{GAMMA_BRASS} layers"]) == "bcc110"
    assert f"{GAMMA_BRASS}: not fcc, Li layers built as commensurate bcc Li(110)" in caplog.text
    # a user's bcc metal too (it used to fail only when the job ran)
    fe = li_layers.Options.quick(
        sites=li_sites.Options.quick(materials=[_structure("Ag", "bcc", 3.3)]),
        construction="pseudomorphic",
    )
    assert _construction(li_layers.build_flows(fe)["Ag layers"]) == "bcc110"


def test_collect_on_empty_store_names_what_is_missing(memory_jobstore):
    options = li_layers.Options.quick(sites=li_sites.Options.quick(materials=["Cu", GAMMA_BRASS]))
    result = li_layers.collect(memory_jobstore, options)
    assert result.missing == ["Cu layers", f"{GAMMA_BRASS} layers"]
    assert result.multilayers == [] and result.final_structures == {}
    assert li_layers.figures(result, "unused") == {}
    assert li_layers.table_rows(result) == []
    assert {c.verdict for c in li_layers.claims(result)} == {"not run"}


def test_binding_composite_options_and_flows(tmp_path, memory_jobstore):
    sites = li_sites.Options.quick(materials=["Cu"], max_sites=1)
    options = binding.Options(sites=sites, layers={"layers": 1})
    assert options.layers.sites == sites and options.layers.layers == 1
    assert sorted(binding.build_flows(options)) == ["Cu 111", "Cu layers"]
    assert list(binding.build_flows(binding.Options(sites=sites))) == ["Cu 111"]
    with pytest.raises(ConfigurationError, match=r"layers\.sites: differs from sites"):
        binding.Options(sites=sites, layers=li_layers.Options.quick())
    assert binding.Options.load(options.save(tmp_path / "b.yaml")) == options
    quick = binding.Options.quick()
    assert quick.layers.layers == 2 and quick.layers.sites == quick.sites
    assert binding.Options.quick(layers=None).layers is None
    result = binding.collect(memory_jobstore, options)
    assert result.missing == ["Cu (111)", "Cu layers"]
    assert binding.payload(result) == {
        "definition": result.definition,
        "summaries": [],
        "prescreens": [],
        "multilayers": [],
    }
    assert [c.panel for c in binding.claims(result)] == ["5c", "5d", "5d", "5e"]


def test_solid_solution_keeps_the_pseudomorphic_film(in_tmp):
    """A random alloy is fcc: its slabs are cut from oriented fcc SQS cells (SQS cached in tmp)."""
    options = li_layers.Options.quick(
        sites=li_sites.Options.quick(materials=[SOLID_SOLUTION]), construction="pseudomorphic"
    )
    flows = li_layers.build_flows(options)
    assert _construction(flows[f"{SOLID_SOLUTION} layers"]) == "pseudomorphic"


# ----------------------------------------------- 5e: internal distortion (issue 18, item 6)
def _bcc110_film_on_cu111(n_layers=3):
    from lithiophilic.structures import make_bulk, make_slabs
    from lithiophilic.structures.li_layers import add_li_layers

    slab = make_slabs(make_bulk("Cu"), (1, 1, 1), n_layers=4)[0]
    return add_li_layers(slab, n_layers, construction="bcc110")


def _distortion(film, relaxed):
    from lithiophilic.structures.li_layers import li_layer_distortion

    li = film.info["li_layers"]
    return li_layer_distortion(
        relaxed,
        ideal_positions=li["ideal_positions"],
        layer_index=li["layer_index"],
        cell=film.cell,
        indices=li["indices"],
    )


def test_internal_distortion_of_rigidly_slid_film_is_zero_while_rms_shift_is_not():
    import numpy as np

    film = _bcc110_film_on_cu111()
    li = film.info["li_layers"]
    assert li["strain"]["max_abs"] > 0.005  # the coincidence cell strains the ideal film
    relaxed = film.copy()
    idx = np.array(li["indices"])
    relaxed.positions[idx] += [0.7, -0.4, 0.2]  # rigid slide and lift of the whole film
    relaxed.positions[idx[0]] += relaxed.cell[0] + relaxed.cell[1]  # wraps across the cell
    res = _distortion(film, relaxed)
    assert res["rms_a"] > 0.8
    assert res["nn_bonds"] > 0
    assert res["nn_strain_rms"] == pytest.approx(0.0, abs=1e-9)
    for row in res["layers"]:
        assert row["nn_bonds"] >= 2 * row["n_atoms"]  # each Li has >= 2 in-layer neighbours
        assert row["nn_strain_rms"] == pytest.approx(0.0, abs=1e-9)
        # the ideal film's Li-Li distances are those of strained bcc Li (2.98 Å ± 8 %)
        assert 2.7 < row["nn_distance_ideal_a"] < 3.3


def test_internal_distortion_sees_a_displaced_atom():
    import numpy as np

    film = _bcc110_film_on_cu111()
    li = film.info["li_layers"]
    relaxed = film.copy()
    idx = np.array(li["indices"])
    layer = np.array(li["layer_index"])
    atom = idx[layer == 2][0]
    relaxed.positions[atom] += [0.3, 0.0, 0.0]
    res = _distortion(film, relaxed)
    rows = {r["layer"]: r for r in res["layers"]}
    assert rows[2]["nn_strain_rms"] > 0.02
    assert rows[2]["nn_distance_std_a"] > rows[1]["nn_distance_std_a"]
    assert rows[1]["nn_strain_rms"] == pytest.approx(0.0, abs=1e-9)
    assert rows[3]["nn_strain_rms"] == pytest.approx(0.0, abs=1e-9)
    assert res["nn_strain_rms"] < rows[2]["nn_strain_rms"]


def _multilayer(material, nn_strain_rms, rms_a, principal=None):
    dist = {"rms_a": rms_a}
    if nn_strain_rms is not None:
        dist["nn_strain_rms"] = nn_strain_rms
    return {
        "material": material,
        "lattice_mismatch": 0.02,
        "li_layer_strain": {"principal": principal} if principal else None,
        "n_layers": [0, 1, 2, 3, 4, 5],
        "incremental_binding_energy_ev": [0.4, 0.0, 0.0, 0.0, 0.0],
        "average_binding_energy_ev": [0.4, 0.2, 0.1, 0.1, 0.1],
        "distortion": [dist] * 5,
    }


def test_5e_verdict_rests_on_internal_distortion_not_on_the_rigid_shift():
    from lithiophilic.analysis.claims import claims_5e

    ref, ss = defaults.PAPER_ROLES["reference"], SOLID_SOLUTION
    # the alloy's film slid further (rms_a) but is internally no more distorted than Cu's
    payload = {
        "multilayers": [
            _multilayer(ref, 0.010, 0.20, [-0.022, 0.037]),
            _multilayer(ss, 0.012, 0.90),
        ]
    }
    (claim,) = claims_5e(payload)
    assert claim.verdict == "inconclusive"
    assert "construction strain" in claim.ours and "-2.2%/+3.7%" in claim.ours
    assert "RMS shift" in claim.ours
    payload["multilayers"][1] = _multilayer(ss, 0.05, 0.10)
    assert claims_5e(payload)[0].verdict == "agree"
    payload["multilayers"][0] = _multilayer(ref, 0.08, 0.10)
    assert claims_5e(payload)[0].verdict == "disagree"
    # documents older than the internal measure: no verdict from the slide-including rms_a
    payload["multilayers"] = [_multilayer(ref, None, 0.2), _multilayer(ss, None, 0.9)]
    (old,) = claims_5e(payload)
    assert old.verdict == "inconclusive" and "predate" in old.reason
