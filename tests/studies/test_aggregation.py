"""The Li-aggregation study (Fig. 5f, 5g): Options, flows, a real LAMMPS run, collect."""

from __future__ import annotations

import json
import os

import pytest
from ase.build import bulk
from pymatgen.io.ase import AseAtomsAdaptor

from lithiophilic import defaults
from lithiophilic.errors import ConfigurationError
from lithiophilic.studies import aggregation
from lithiophilic.studies.aggregation import Options

POT = "meam-library-licu"  # Li-Cu MEAM library potential: plumbing only (no Zn)
REF = defaults.PAPER_ROLES["reference"]


def _small(**changes):
    """The smallest MD the CLI tests run: 6x6x3 slab, 6 Li, 0.3 ps (16 frames), 2 replicas."""
    settings = {
        "materials": [REF],
        "potential": POT,
        "lateral_size": (6, 6),
        "n_li": 6,
        "time_ps": 0.3,
        "replicas": 2,
        **changes,
    }
    return Options.quick(**settings)


# --------------------------------------------------------------------------- options


def test_defaults_are_the_paper_surfaces_and_the_full_settings():
    options = Options()
    assert options.materials == list(defaults.PAPER_MD_MATERIALS)
    assert options.potential == defaults.MD_POTENTIAL
    assert options.lateral_size == defaults.MD_LATERAL_SIZE
    assert (options.time_ps, options.replicas) == (defaults.MD_TIME_PS, defaults.MD_REPLICAS)
    assert Options.full() == options


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"timestep_fs": 6.0}, "timestep_fs"),
        ({"thermostat": "berendsen"}, "thermostat"),
        ({"coverage": 1.5}, "coverage"),
        ({"replicas": 0}, "replicas"),
        ({"lateral_size": (0, 5)}, "lateral_size"),
        ({"cutoff_a": -1.0}, "cutoff_a"),
        ({"n_layers": 3, "n_fixed_layers": 3}, "n_fixed_layers"),
        ({"materials": []}, "materials"),
        ({"temperature": 300.0}, "temperature"),
        ({"analysis_cutoffs_a": [3.3, 4.6]}, "analysis_cutoffs_a"),
        ({"analysis_cutoffs_a": []}, "analysis_cutoffs_a"),
        ({"cutoff_a": 5.0}, "cutoff_a"),
    ],
)
def test_bad_options_name_the_field(changes, field):
    with pytest.raises(ConfigurationError, match=field):
        Options(**changes)


def test_assignment_is_validated():
    options = Options()
    with pytest.raises(ConfigurationError, match="timestep_fs"):
        options.timestep_fs = 6.0


def test_quick_preset_caps_length_replicas_and_frames():
    quick = Options.quick()
    assert quick.lateral_size == (10, 10)
    assert (quick.n_layers, quick.n_fixed_layers, quick.vacuum_a) == (3, 1, 20.0)
    assert quick.time_ps == defaults.MD_QUICK_TIME_PS
    assert quick.replicas == defaults.MD_QUICK_REPLICAS
    assert quick.dump_every == aggregation.QUICK_MAX_DUMP_EVERY
    # given values are capped, not replaced; smaller ones are kept; the slab can be changed
    capped = Options.quick(time_ps=50.0, replicas=10, dump_every=500, lateral_size=(6, 6))
    assert (capped.time_ps, capped.replicas, capped.dump_every) == (
        defaults.MD_QUICK_TIME_PS,
        defaults.MD_QUICK_REPLICAS,
        aggregation.QUICK_MAX_DUMP_EVERY,
    )
    assert capped.lateral_size == (6, 6)
    small = Options.quick(time_ps=0.3, replicas=1, dump_every=20)
    assert (small.time_ps, small.replicas, small.dump_every) == (0.3, 1, 20)


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_options_save_and_load(tmp_path, suffix):
    cu = AseAtomsAdaptor.get_structure(bulk("Cu", "fcc", a=3.62))
    options = _small(materials=[REF, cu], cutoff_a=3.3, thermostat="nose-hoover")
    loaded = Options.load(options.save(tmp_path / f"md{suffix}"))
    assert loaded == options
    assert loaded.materials[1] == cu
    with pytest.raises(ConfigurationError, match="does not exist"):
        Options.load(tmp_path / "nope.json")


# --------------------------------------------------------------------------- flows


def _makers(flow):
    substrate, md = flow.jobs[0], flow.jobs[1]
    return substrate.function.__self__.as_dict(), md.function.__self__.as_dict()


@pytest.mark.parametrize("quick", [False, True])
def test_flows_are_those_the_command_built_before(quick):
    """build_flows makes the Makers the md-aggregation command made (same cache keys)."""
    from lithiophilic.workflows.md import LiAggregationMaker

    options = Options.quick(materials=[REF]) if quick else Options(materials=[REF])
    md = {
        "n_li": None,
        "coverage": options.coverage,
        "time_ps": options.time_ps,
        "temperature_k": defaults.MD_TEMPERATURE_K,
        "timestep_fs": defaults.MD_TIMESTEP_FS,
        "dump_every": options.dump_every,
        "check_every": options.dump_every,
        "thermostat": "langevin",
        "seed": 1,
        "cutoff_a": None,
        "n_mpi": 1,
    }
    sub = (
        {"lateral_size": (10, 10), "n_layers": 3, "n_fixed_layers": 1, "vacuum_a": 20.0}
        if quick
        else {}
    )
    before = LiAggregationMaker.with_potential(
        defaults.MD_POTENTIAL,
        replicas=options.replicas,
        **{f"substrate_{k}": v for k, v in sub.items()},
        **{f"md_{k}": v for k, v in md.items()},
    ).make(REF)
    flows = aggregation.build_flows(options)
    assert list(flows) == [REF]
    assert _makers(flows[REF]) == _makers(before)
    assert len(flows[REF].jobs) == len(before.jobs) == options.replicas + 2


def test_build_flows_rejects_bad_input_before_any_job():
    with pytest.raises(ConfigurationError, match="'nope' is not registered"):
        aggregation.build_flows(Options(materials=[REF], potential="nope"))
    with pytest.raises(ConfigurationError, match="Zn"):
        aggregation.build_flows(Options(materials=["Cu3Zn"], potential=POT))
    with pytest.raises(ConfigurationError, match="given twice"):
        aggregation.build_flows(Options(materials=[REF, REF], potential=POT))
    with pytest.raises(ConfigurationError, match="does not exist"):
        aggregation.build_flows(Options(materials=["missing.cif"], potential=POT))


# --------------------------------------------------------------------------- collect


def test_collect_on_an_empty_store_names_what_is_missing(embedded_store):
    result = aggregation.collect(embedded_store, Options())
    assert result.missing == list(defaults.PAPER_MD_MATERIALS)
    assert not result.summaries
    assert not result.failed
    assert not result.complete
    assert aggregation.figures(result, "unused") == {}
    assert aggregation.table_rows(result) == []
    assert aggregation.claims(result)[0].verdict == "not run"


def _summary(k_replicas, cutoff_a=3.3):
    return {"status": "completed", "k_per_ps_replicas": k_replicas, "cutoff_a": cutoff_a}


def test_comparison_only_with_the_reference_metal():
    other = defaults.PAPER_ROLES["solid_solution"]
    comparisons, warns = aggregation.compare_surfaces(
        {REF: _summary([1.0, 1.1, 0.9]), other: _summary([0.2, 0.25, 0.3])}
    )
    assert [(c["a"], c["b"]) for c in comparisons] == [(REF, other)]
    assert comparisons[0]["significant"] is True
    assert warns == []
    comparisons, _ = aggregation.compare_surfaces(
        {"Ni": _summary([1.0, 1.1]), other: _summary([0.2, 0.3])}
    )
    assert comparisons == []
    # a failed surface is not compared; different cutoffs are flagged
    comparisons, warns = aggregation.compare_surfaces(
        {REF: _summary([1.0, 1.1], 3.1), other: {"status": "failed"}, "Ni": _summary([1.0], 3.4)}
    )
    assert [c["b"] for c in comparisons] == ["Ni"]
    assert len(warns) == 1
    assert "different Li-Li cutoffs" in warns[0]


def _kinetics(r0_replicas, cutoffs=(3.0, 3.3, 3.6, 4.0)):
    return [
        {
            "cutoff_a": c,
            "window": w,
            "k_per_ps": 1.0,
            "k_per_ps_ci": [0.5, 1.5],
            "phi_inf": 0.3,
            "phi_inf_ci": [0.2, 0.4],
            "t_half_ps": 0.69,
            "t_half_ps_ci": [0.46, 1.39],
            "r0_per_ps": sum(r0_replicas) / len(r0_replicas),
            "r0_per_ps_ci": [0.1, 2.0],
            "r0_per_ps_replicas": r0_replicas,
            "coordination_end": 1.0,
        }
        for c in cutoffs
        for w in ("whole", "first-half")
    ]


def _kinetics_summary(r0_replicas):
    cutoffs = (3.0, 3.3, 3.6, 4.0)
    checks = [
        {"cutoff_a": c, "quantity": "r0_per_ps", "stable": True, "reason": "window-stable"}
        for c in cutoffs
    ]
    return {
        "status": "completed",
        "n_completed": len(r0_replicas),
        "n_replicas": len(r0_replicas),
        "k_per_ps": 1.0,
        "k_ci_low_per_ps": 0.5,
        "k_ci_high_per_ps": 1.5,
        "k_per_ps_replicas": r0_replicas,
        "cutoff_a": 3.3,
        "cluster_growth_per_ps": 0.1,
        "potential": "licuzn-eam",
        "validated_for_science": True,
        "kinetics": _kinetics(r0_replicas, cutoffs),
        "window_checks": checks,
        "li_diffusion_a2_per_ps": 1.0,
        "li_diffusion_ci_a2_per_ps": [0.5, 1.5],
    }


def test_verdict_table_reaches_the_claim_and_the_table():
    ss = defaults.PAPER_ROLES["solid_solution"]
    summaries = {
        REF: _kinetics_summary([1.0, 1.1, 0.9, 1.05, 0.95]),
        ss: _kinetics_summary([0.2, 0.25, 0.3, 0.22, 0.28]),
    }
    result = aggregation.Result(options=Options().model_dump(mode="json"), summaries=summaries)
    result.verdicts = aggregation.surface_verdicts(summaries)
    (claim,) = aggregation.claims(result)
    assert claim.verdict == "agree"
    assert "r0" in claim.reason and "every cutoff and window" in claim.reason
    rows = aggregation.table_rows(result)
    assert len(rows) == 2 * 4 * 2  # material x cutoff x window
    assert {r["verdict_here"] for r in rows} == {"agree"}
    assert {r["r0_window_check"] for r in rows} == {"window-stable"}
    # one cutoff flips: inconclusive, and the table says where
    flipped = _kinetics_summary([0.2, 0.25, 0.3, 0.22, 0.28])
    flipped["kinetics"] = [
        r if r["cutoff_a"] != 4.0 else {**r, "r0_per_ps_replicas": [2.0, 2.1, 1.9, 2.05, 1.95]}
        for r in flipped["kinetics"]
    ]
    summaries[ss] = flipped
    result.verdicts = aggregation.surface_verdicts(summaries)
    (claim,) = aggregation.claims(result)
    assert claim.verdict == "inconclusive"
    rows = aggregation.table_rows(result)
    assert {r["verdict_here"] for r in rows if r["cutoff_a"] == 4.0} == {"disagree"}
    assert aggregation.surface_verdicts({REF: summaries[REF]}) == {}


# --------------------------------------------------------------------------- real LAMMPS


def test_run_stores_rates_frames_and_reuses_the_md(in_tmp, embedded_store, monkeypatch):
    """Cu and the user's own Cu structure (a CIF), 2 replicas each; run twice."""
    cif = in_tmp / "my_cu.cif"
    AseAtomsAdaptor.get_structure(bulk("Cu", "fcc", a=3.62)).to(filename=str(cif))
    options = _small(materials=[REF, str(cif)])
    events = []
    result = aggregation.run(options, embedded_store, data_dir=in_tmp, on_job=events.append)
    assert result.complete, (result.missing, result.failed)
    assert set(result.summaries) == {REF, "my_cu"}
    for label, summary in result.summaries.items():
        assert summary["n_completed"] == 2
        assert summary["material"] == label
        # k >= 0 (a replica whose Li all stay isolated fits k ~ 0, r2 NaN)
        assert summary["k_per_ps"] is not None and summary["k_per_ps"] >= 0
        assert [len(f) for f in result.frames[label]] == [16, 16]  # 300 steps / 20 + 1
        assert [r["seed"] for r in result.replicas[label]] == [1, 2]
        assert result.snapshots[label]["frames"]
    assert [(c["a"], c["b"]) for c in result.comparisons] == [(REF, "my_cu")]
    assert any("not validated" in w for w in result.warnings)
    steps = [e for e in events if e.kind == "step"]
    assert steps and steps[-1].done == steps[-1].total == 300
    figs = aggregation.figures(result, in_tmp / "figs")
    assert set(figs) == {"5f", "5g"}
    assert all(p.stat().st_size > 10_000 for p in figs.values())
    assert aggregation.table_rows(result)[0]["material"] == REF
    assert aggregation.payload(result)["summaries"] == result.summaries
    # collect reads the same back; other settings are not these results
    again = aggregation.collect(embedded_store, options)
    # (JSON: a replica whose isolated fraction stays flat has r2 = NaN, and NaN != NaN)
    assert json.dumps(again.summaries, sort_keys=True) == json.dumps(
        result.summaries, sort_keys=True
    )
    assert aggregation.collect(embedded_store, options.updated(vacuum_a=25.0)).missing == [
        REF,
        "my_cu",
    ]
    assert aggregation.collect(embedded_store, options.updated(seed=7)).missing == [REF, "my_cu"]
    assert aggregation.collect(embedded_store, options.updated(cutoff_a=3.3)).missing == [
        REF,
        "my_cu",
    ]
    # the same study again, its complete-run record ignored: every MD replica is reused by
    # its cache key, nothing recomputed
    monkeypatch.setenv("LITHIOPHILIC_REUSE_COMPLETE_RUNS", "0")
    second = aggregation.run(options, embedded_store, data_dir=in_tmp)
    assert second.summaries.keys() == result.summaries.keys()
    for label in result.summaries:
        assert second.uuids[label] != result.uuids[label]
        assert second.summaries[label]["k_per_ps"] == result.summaries[label]["k_per_ps"]
    new = [
        embedded_store.query_one({"uuid": u})["output"]
        for s in second.summaries.values()
        for u in s["replica_uuids"]
    ]
    assert len(new) == 4
    assert all(d["reused_from_uuid"] for d in new)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs 2 cores")
def test_one_rank_replicas_run_in_worker_processes_with_the_same_results(tmp_path, monkeypatch):
    """workers=2: each LAMMPS replica runs in a worker (never in this process), same bits."""
    from lithiophilic.db import get_store
    from lithiophilic.workflows import md

    serial = aggregation.run(
        _small(workers=1), get_store(data_dir=tmp_path / "a"), data_dir=tmp_path / "a"
    )
    assert serial.complete, (serial.missing, serial.failed)

    def not_here(*args, **kwargs):
        msg = "LAMMPS MD ran in the coordinating process"
        raise AssertionError(msg)

    monkeypatch.setattr(md, "run_md", not_here)  # spawned workers import the real one
    store = get_store(data_dir=tmp_path / "b")
    parallel = aggregation.run(_small(workers=2), store, data_dir=tmp_path / "b")
    assert parallel.complete, (parallel.missing, parallel.failed)
    one, two = serial.summaries[REF], parallel.summaries[REF]
    assert one["n_completed"] == two["n_completed"] == 2

    def numbers(summary):
        return json.dumps(
            {k: v for k, v in summary.items() if k != "replica_uuids"}, sort_keys=True
        )

    assert one["kinetics"] and one["k_per_ps_replicas"]
    assert numbers(one) == numbers(two)  # k, φ∞, D, per-frame clusters: identical
    assert serial.frames == parallel.frames
    # a stored replica is reused in this process: no worker, no LAMMPS
    monkeypatch.setenv("LITHIOPHILIC_REUSE_COMPLETE_RUNS", "0")
    again = aggregation.run(_small(workers=2), store, data_dir=tmp_path / "b")
    assert json.dumps(again.summaries[REF]["k_per_ps"]) == json.dumps(two["k_per_ps"])
