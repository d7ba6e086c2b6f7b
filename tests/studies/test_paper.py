"""The paper campaign composed from the studies: options, stage presets, runs, the report."""

from __future__ import annotations

import json
import os

import pytest
from ase.build import bulk
from pymatgen.io.ase import AseAtomsAdaptor

from lithiophilic import defaults
from lithiophilic.errors import ConfigurationError
from lithiophilic.studies import (
    PANELS,
    STUDIES,
    aggregation,
    li_layers,
    li_sites,
    panels_of,
    pdos,
    runner,
    surface,
)
from lithiophilic.studies.paper import (
    DEFAULT_STAGES,
    PAPER_STAGES,
    PaperOptions,
    build_report,
    report,
    run,
    stage_options,
)

ROLES = defaults.PAPER_ROLES
REF, IM, SS = ROLES["reference"], ROLES["intermetallic"], ROLES["solid_solution"]


def _cu3sn():
    """A user's own structure (not in the catalogue): an fcc Cu cell relabelled Cu3Sn."""
    atoms = bulk("Cu", "fcc", a=3.7, cubic=True)
    atoms.symbols[0] = "Sn"
    struct = AseAtomsAdaptor.get_structure(atoms)
    struct.properties = {}
    return struct


def test_panels_registry():
    assert {p: PANELS[p].__name__.rsplit(".", 1)[-1] for p in PANELS} == {
        "5a": "surface",
        "5b": "pdos",
        "5c": "li_sites",
        "5d": "li_layers",
        "5e": "li_layers",
        "5f": "aggregation",
        "5g": "aggregation",
    }
    assert PANELS["5d"] is PANELS["5e"] is li_layers
    assert STUDIES["surface"] is surface
    assert panels_of(aggregation) == ("5f", "5g")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"stages": ["nope"]},
            r"stages\.0: Input should be 'surface', 'pdos', 'binding', 'verify' or 'md'",
        ),
        ({"stages": []}, "stages"),
        ({"nprocs": 0}, "nprocs: Input should be greater than or equal to 1"),
        ({"preset": "fast"}, "preset"),
        ({"quick": True}, "quick: Extra inputs are not permitted"),
        ({"materials": [3]}, "materials"),
    ],
)
def test_bad_paper_options_name_the_field(kwargs, match):
    with pytest.raises(ConfigurationError, match=match):
        PaperOptions(**kwargs)


def test_stages_run_in_paper_order_once():
    assert PaperOptions(stages=["md", "surface", "md"]).stages == ["surface", "md"]
    assert (
        PaperOptions().stages == list(DEFAULT_STAGES) == [s for s in PAPER_STAGES if s != "verify"]
    )
    assert not PaperOptions().is_quick and PaperOptions.quick().is_quick


def test_a_study_refusing_a_setting_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="calculator"):
        stage_options(PaperOptions(calculator="nosuch", stages=["surface"]))
    with pytest.raises(ConfigurationError, match="cannot compute a PDOS"):
        stage_options(PaperOptions(dft="emt", stages=["pdos"]))


def test_quick_stages_are_the_studies_quick_presets():
    options = PaperOptions.quick(nprocs=3, calculator="emt", md_potential="meam-library-licu")
    st = stage_options(options)
    assert list(st) == list(DEFAULT_STAGES)  # verify (GPAW) is opt-in
    assert st["surface"] == [surface.Options.quick(calculator="emt")]
    assert st["pdos"] == [pdos.Options.paper(quick=True, nprocs=3)]
    assert st["pdos"][0].relax_max_atoms == 1
    assert st["pdos"][0].dos_kpt_density_a is None  # the quick DFT mesh
    sites, layers = st["binding"]
    assert sites == li_sites.Options.quick(calculator="emt", max_sites=2)
    assert layers == li_layers.Options.quick(sites=sites, layers=2)
    (md,) = st["md"]
    assert md == aggregation.Options.quick(
        potential="meam-library-licu",
        cutoff_a=defaults.MD_COMPARISON_CUTOFF_A,
        materials=list(defaults.PAPER_MD_MATERIALS),
    )
    assert md.n_mpi == 1  # the quick MD (small slabs) runs on one rank


def test_full_stages_paper_pdos_five_layers_md_on_the_ranks():
    st = stage_options(PaperOptions(nprocs=3))
    assert st["surface"] == [surface.Options()]
    (p,) = st["pdos"]
    assert p == pdos.Options.paper(nprocs=3)
    assert (p.ecut_ev, p.kpt_density_a, p.dos_kpt_density_a, p.width_ev) == (300, 2.5, 4.0, 0.2)
    assert p.relax_max_atoms == 1
    sites, layers = st["binding"]
    assert sites == li_sites.Options() and sites.max_sites is None
    assert layers.layers == 5 and layers.sites == sites
    (md,) = st["md"]
    assert md.cutoff_a == pytest.approx(3.3)
    assert md.n_mpi == 3
    assert md.materials == list(defaults.PAPER_MD_MATERIALS)
    assert (md.time_ps, md.replicas) == (defaults.MD_TIME_PS, defaults.MD_REPLICAS)


def test_dft_ranks_from_option_slurm_or_cores(monkeypatch):
    monkeypatch.delenv("SLURM_NTASKS", raising=False)
    assert stage_options(PaperOptions(stages=["pdos"]))["pdos"][0].nprocs == os.cpu_count()
    monkeypatch.setenv("SLURM_NTASKS", "8")
    assert stage_options(PaperOptions(stages=["pdos"]))["pdos"][0].nprocs == 8
    assert stage_options(PaperOptions(stages=["md"]))["md"][0].n_mpi == 8
    assert stage_options(PaperOptions(stages=["pdos"], nprocs=3))["pdos"][0].nprocs == 3


def test_materials_reach_every_stage_including_a_users_structure(tmp_path):
    own = _cu3sn()
    options = PaperOptions.quick(materials=["Cu", "Cu3Sn", own], dft="gpaw")
    for stage, opts in stage_options(options).items():
        for o in opts:
            mats = o.sites.materials if isinstance(o, li_layers.Options) else o.materials
            assert mats[:2] == ["Cu", "Cu3Sn"], stage  # the MD's default pair is replaced
            assert mats[2] == own
    # saved and loaded (what a stage process and the Slurm report job receive)
    again = PaperOptions.load(options.save(tmp_path / "paper.json"))
    assert again == options
    saved = stage_options(again)["binding"][1].save(tmp_path / "li_layers.json")
    assert li_layers.Options.load(saved).sites.materials[2] == own


# --------------------------------------------------------------------------- the report
def _surface_rows(material, g111, g100):
    def row(miller, g):
        return {
            "material": material,
            "miller": miller,
            "termination": 0,
            "sqs_seed": None,
            "n_layers": 4,
            "n_atoms": 16,
            "method": "stoichiometric",
            "symmetric": True,
            "stoichiometric": True,
            "gamma_unrelaxed_j_per_m2": g + 0.1,
            "gamma_relaxed_j_per_m2": g,
            "gamma_relaxed_ev_per_a2": g / 16.02,
            "gamma_relaxed_min_j_per_m2": None,
            "gamma_relaxed_max_j_per_m2": None,
            "converged": True,
            "calculator": "sevenn",
        }

    return [row([1, 1, 1], g111), row([1, 0, 0], g100)]


def _summary(material, eb):
    return {
        "material": material,
        "miller": [1, 1, 1],
        "lowest_site_label": "fcc-0",
        "lowest_final_site_kind": "fcc",
        "binding_energy_bcc_ev": eb,
        "binding_energy_atom_ev": eb + 1.6,
        "spread_ev": 0.05,
        "n_valid": 3,
        "n_sites": 3,
    }


def _layers(material, inc, rms):
    return {
        "material": material,
        "lattice_mismatch": 0.02,
        "n_layers": list(range(len(inc) + 1)),
        "incremental_binding_energy_ev": inc,
        "average_binding_energy_ev": inc,
        "distortion": [{"rms_a": rms, "nn_strain_rms": rms / 10} for _ in inc],
        "converged": [True] * (len(inc) + 1),
    }


def _hand_built_results():
    """Results as the studies return them, for the paper's roles and a user's Cu3Sn."""
    rows = [
        *_surface_rows(REF, 1.30, 1.48),
        *_surface_rows(IM, 1.20, 1.10),
        *_surface_rows(SS, 1.00, 1.05),
        *_surface_rows("Cu3Sn", 0.90, 0.95),
    ]
    return {
        "surface": surface.Result(options={}, rows=rows),
        "li_sites": li_sites.Result(
            options={},
            summaries=[_summary(REF, 0.50), _summary(SS, 0.60), _summary("Cu3Sn", 0.70)],
            missing=[f"{IM} (111)"],
        ),
        "li_layers": li_layers.Result(
            options={},
            multilayers=[
                _layers(REF, [0.48, 0.0], 0.05),
                _layers(SS, [0.40, -0.10], 0.40),
                _layers("Cu3Sn", [0.30, -0.20], 0.50),
            ],
        ),
    }


def test_report_from_results_has_claims_tables_and_figures(tmp_path):
    options = PaperOptions.quick(out_dir=tmp_path / "rep", materials=[REF, IM, SS, "Cu3Sn"])
    rep = build_report(options, _hand_built_results(), settings={"calculator": "sevenn"})
    text = (tmp_path / "rep" / "report.md").read_text()
    verdicts = {(c.panel, c.claim[:25]): c.verdict for c in rep.claims}
    assert verdicts[("5a", f"{SS} (111) and (200) surf"[:25])] == "agree"
    assert verdicts[("5c", "Li binds most strongly on")] == "disagree"  # Cu3Sn binds more
    assert verdicts[("5e", "the 5 Li layers are disto")] == "agree"
    # the claims concern the paper's roles; the studies that did not run are "not run"
    assert {c.verdict for c in rep.claims if c.panel in ("5b", "5f/g")} == {"not run"}
    assert f"Li binds most strongly on {SS} (111)" in text
    # a user's own material reaches every panel's table
    for panel in ("5a", "5c", "5d"):
        section = text.split(f"### {panel}:")[1].split("###")[0]
        assert "| Cu3Sn |" in section, panel
    assert f"_missing: {IM} (111)_" in text
    # figures drawn from the Results, linked relative to the report, embedded in the HTML
    assert "![5a](figures/fig5a_surface_energies.png)" in text
    assert "![5d](figures/fig5d_li_layers.png)" in text
    assert rep.figures["5a"].stat().st_size > 5000
    page = (tmp_path / "rep" / "report.html").read_text()
    assert page.count('src="data:image/png;base64,') == 2
    saved = json.loads((tmp_path / "rep" / "claims.json").read_text())
    assert len(saved["claims"]) == len(rep.claims)
    assert saved["results"]["surface"] == "data/surface.json"
    assert saved["options"]["materials"][-1] == "Cu3Sn"
    stored = surface.Result.model_validate_json(
        (tmp_path / "rep" / "data/surface.json").read_text()
    )
    assert {r["material"] for r in stored.rows} == {REF, IM, SS, "Cu3Sn"}


def test_other_roles_are_what_the_claims_concern():
    from lithiophilic.analysis.report import claims_5c

    summaries = [_summary("Ag", 0.3), _summary("AgZn", 0.5)]
    roles = {"reference": "Ag", "solid_solution": "AgZn"}
    (claim,) = claims_5c({"summaries": summaries}, roles=roles)
    assert claim.claim.startswith("Li binds most strongly on AgZn (111)")
    assert claim.verdict == "agree"
    (absent,) = claims_5c({"summaries": summaries})  # the paper's solid solution is absent
    assert absent.verdict == "not run"


# --------------------------------------------------------------------------- running
def test_runner_refuses_bad_arguments(tmp_path):
    saved = surface.Options.quick(materials=["Cu"], calculator="emt").save(tmp_path / "s.json")
    assert runner.main(["surface"]) == 2  # not pairs
    assert runner.main(["nosuch", str(saved), "--data-dir", str(tmp_path / "d")]) == 2
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"vacuum_a": 1.0}))
    assert runner.main(["surface", str(bad), "--data-dir", str(tmp_path / "d")]) == 2


def test_failed_stage_is_reported_and_the_others_run(tmp_path):
    """EMT has no Li: the binding stage is refused (exit 2); the surface stage runs; rerun reuses."""
    data = tmp_path / "data"
    options = PaperOptions.quick(
        stages=["surface", "binding"], materials=["Cu"], calculator="emt", out_dir=tmp_path / "r"
    )
    seen = []
    rep = run(options, data_dir=data, on_stage=seen.append)
    assert [s.name for s in seen] == ["surface", "binding"]
    surface_run, binding_run = rep.stages
    assert surface_run.status == "ok" and surface_run.peak_rss_mib > 50
    assert binding_run.status == "failed (exit 2; see log)"
    assert [s.name for s in rep.failed] == ["binding"]
    assert "not valid for element" in " ".join(
        (tmp_path / "r/logs/binding.log").read_text().split()
    )
    text = (tmp_path / "r" / "report.md").read_text()
    assert "| surface | 5a | ok |" in text and "| binding | 5c, 5d, 5e | failed (exit 2" in text
    assert "`options/surface.json`, `logs/surface.log`" in text
    assert {r["material"] for r in rep.results["surface"].rows} == {"Cu"}
    assert rep.results["li_sites"].missing  # collected: nothing stored
    assert (tmp_path / "r" / "figures" / "fig5a_surface_energies.png").is_file()
    assert (
        surface.Options.load(tmp_path / "r/options/surface.json")
        == stage_options(options)["surface"][0]
    )
    again = run(options.updated(stages=["surface"]), data_dir=data)
    assert again.stages[0].status == "ok"
    # the surface stage completed: its record answers, no job runs
    log = (tmp_path / "r/logs/surface.log").read_text()
    assert "a complete run of these options and this code is stored" in log
    assert "Starting job" not in log
    gammas = [r["gamma_relaxed_j_per_m2"] for r in rep.results["surface"].rows]
    assert [r["gamma_relaxed_j_per_m2"] for r in again.results["surface"].rows] == gammas


def test_stages_run_in_this_process_with_a_store_object(tmp_path, memory_jobstore):
    options = PaperOptions.quick(
        stages=["surface"], materials=["Cu"], calculator="emt", out_dir=tmp_path / "r"
    )
    rep = run(options, memory_jobstore, data_dir=tmp_path / "data")
    assert rep.stages[0].status == "ok"
    assert "relax Cu bulk" in (tmp_path / "r/logs/surface.log").read_text()
    assert len(rep.results["surface"].rows) == 2
    only = report(options, memory_jobstore)  # the report of stored results, running nothing
    assert only.results["surface"].rows == rep.results["surface"].rows
    assert only.stages == []


@pytest.mark.slow
@pytest.mark.mlip
def test_quick_surface_stage_with_sevenn(tmp_path):
    """`paper --quick --stage surface -m Cu` through the API (SevenNet-0)."""
    options = PaperOptions.quick(stages=["surface"], materials=["Cu"], out_dir=tmp_path / "r")
    rep = run(options, data_dir=tmp_path / "data")
    assert not rep.failed
    rows = rep.results["surface"].rows
    assert {tuple(r["miller"]) for r in rows} == {(1, 1, 1), (1, 0, 0)}
    g111 = next(r["gamma_relaxed_j_per_m2"] for r in rows if r["miller"] == [1, 1, 1])
    assert 1.0 < g111 < 2.0  # SevenNet-0 Cu(111), thin quick slab
    assert (tmp_path / "r" / "figures" / "fig5a_surface_energies.png").is_file()


def test_saved_campaign_runs_from_its_file(tmp_path):
    """What the paper-report job runs: `python -m lithiophilic.studies.paper OPTIONS.json`."""
    from lithiophilic.studies import paper

    options = PaperOptions.quick(
        stages=["surface"], materials=["Cu"], calculator="emt", out_dir=tmp_path / "r"
    )
    saved = options.save(tmp_path / "paper.json")
    assert paper.main([str(saved), "--data-dir", str(tmp_path / "data")]) == 0
    assert "| surface | 5a | ok |" in (tmp_path / "r" / "report.md").read_text()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"stages": ["nope"]}))
    assert paper.main([str(bad)]) == 2


def test_report_again_keeps_unchanged_figures_and_redraws_changed_ones(tmp_path, caplog):
    """Same Results into the same folder: figures kept; a changed Result is drawn again."""
    import logging

    options = PaperOptions.quick(out_dir=tmp_path / "rep", materials=[REF, IM, SS])
    results = _hand_built_results()
    first = build_report(options, results, settings={"calculator": "sevenn"})
    fig_5a, fig_5d = first.figures["5a"], first.figures["5d"]
    mtimes = {p: p.stat().st_mtime_ns for p in (fig_5a, fig_5d)}
    caplog.set_level(logging.INFO, logger="lithiophilic")
    again = build_report(options, results, settings={"calculator": "sevenn"})
    assert again.figures == first.figures
    assert {p: p.stat().st_mtime_ns for p in (fig_5a, fig_5d)} == mtimes
    assert "surface: figures unchanged" in caplog.text
    # a changed surface energy: 5a drawn again, 5d (another study's Result) kept
    changed = dict(results)
    rows = [dict(r) for r in results["surface"].rows]
    rows[0]["gamma_relaxed_j_per_m2"] += 0.2
    changed["surface"] = surface.Result(options={}, rows=rows)
    build_report(options, changed, settings={"calculator": "sevenn"})
    assert fig_5a.stat().st_mtime_ns != mtimes[fig_5a]
    assert fig_5d.stat().st_mtime_ns == mtimes[fig_5d]
    # a deleted figure file is drawn again
    fig_5d.unlink()
    build_report(options, changed, settings={"calculator": "sevenn"})
    assert fig_5d.is_file()


def test_the_report_uses_the_results_the_stages_returned_here(tmp_path, monkeypatch):
    """Stages run in this process hand their Results to the report: nothing is collected twice."""
    from lithiophilic.studies import paper

    collected_again = []
    real = paper._collect
    monkeypatch.setattr(
        paper, "_collect", lambda *a, **k: collected_again.append(a) or real(*a, **k)
    )
    options = PaperOptions.quick(
        stages=["surface"], materials=["Cu"], calculator="emt", out_dir=tmp_path / "r"
    )
    rep = run(options, data_dir=tmp_path / "data")
    assert rep.stages[0].status == "ok" and collected_again == []
    assert rep.results["surface"] is rep.stages[0].results["surface"]
    assert {r["material"] for r in rep.results["surface"].rows} == {"Cu"}
    assert set(rep.results) == {"surface"}
