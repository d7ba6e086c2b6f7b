"""GPAW verification of the verdicts that rest on an MLIP (5a surface energies, 5c Li binding).

The study reads what the MLIP studies stored (:mod:`~lithiophilic.studies.surface` and
:mod:`~lithiophilic.studies.li_sites`, through their ``collect``) and recomputes with DFT, on
the MLIP geometries and one DFT setting for every calculation:

- γ of the lowest-γ slab of each material and facet (γ-brass at the Cu-rich edge of its Δμ
  window; random alloys: the first ``sqs_samples`` SQS samples);
- E_b (vs bcc Li) of the ``top_k`` strongest *adsorbed* Li sites of each slab and of the
  strongest incorporated or reconstructed one (``incorporated``);
- optionally (``relax``) DFT relaxations started from the MLIP geometries.

The default (``Options()``) aims at the ≤ 3 h budget of a 2-core workstation and is not there
yet: estimated from measured SCF timings at 7.2 CPU-hours, 4.1 h on the two MPI ranks it uses
there (bench/results/verify.json; levers, their measurements and a real Cu chunk in
bench/results/verify_levers.json; the cost model is within 0.4-1.6x of single cells measured
since, bench/results/verify_forces.json). GPAW LCAO single points of the energy alone
(preset ``lcao-dzp``, SCF density tolerance 1e-3; the forces after the SCF are skipped:
0.66-0.74x the time; plane waves make the 50-150-atom alloy slabs weeks of work), no DFT
relaxation, the top-1 adsorbed and the strongest incorporated site per material,
E_b on slabs reduced to the substrate within 4.5 Å of the top, one SQS sample. What the reduced
slab changes is measured with the MLIP on the same site in every document
(``reduction_change_ev``) and, with a relaxation of the reduced slab beside the single point,
in ``bench/results/verify_reduction.json``; LCAO minus plane waves on Cu(111) and the cost
estimate per calculation are in ``bench/results/verify.json``.

What is verified is decided when the flow runs (its first job, :func:`plan_verification`,
reads the store), so the flow can be built before the MLIP stages ran and submitted after
them. Every DFT (and MLIP) calculation is its own cached job: a killed verification reruns
only what is not stored. ``collect`` sets the MLIP and DFT numbers side by side and says per
verdict whether it survives DFT (:mod:`lithiophilic.analysis.verify`).

Examples
--------
>>> from lithiophilic.studies import verify
>>> options = verify.Options.quick(materials=["Cu"])
>>> options.top_k, options.reduced_depth_a, options.relax
(1, 0.5, False)
>>> sorted(verify.build_flows(options))
['verify']
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self

from jobflow import Flow, JobConfig, Response, job
from pydantic import Field, field_validator
from pymatgen.core import Structure

from lithiophilic import defaults
from lithiophilic.analysis.figures import figure_path
from lithiophilic.analysis.surface import facet_label, row_gamma_edges_j_per_m2
from lithiophilic.analysis.verify import verify_claims
from lithiophilic.errors import CalculationFailed, ConfigurationError
from lithiophilic.potentials import CalculatorSpec, calculator_provenance, ensure_available
from lithiophilic.studies import li_sites, surface
from lithiophilic.studies.base import (
    MaterialInput,
    StudyOptions,
    StudyResult,
    build_and_run,
    material_label,
)
from lithiophilic.workflows.verify import VERIFY_DEFINITION, VerifyMaker, verify_cost_s

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from jobflow import JobStore

    from lithiophilic.analysis.report import Claim
    from lithiophilic.studies.base import JobEvent

__all__ = [
    "FIGURE_NAME",
    "QUICK_DFT",
    "Options",
    "Result",
    "build_flows",
    "claims",
    "collect",
    "figures",
    "plan_verification",
    "run",
    "select_targets",
    "table_rows",
]

logger = logging.getLogger(__name__)

FIGURE_NAME = "verify_mlip_vs_dft.png"

#: Quick DFT settings (CI, minutes; not converged): 300 eV plane waves, 2 k-points per Å⁻¹,
#: 0.1 eV smearing, SCF density tolerance 5e-4 (GPAW default of the project: 1e-4).
QUICK_DFT: dict[str, Any] = {
    "ecut_ev": 300.0,
    "kpt_density_a": 2.0,
    "smearing_ev": 0.1,
    "density_tol": 5e-4,
}

#: Quick reduced slab for E_b: the top plane (depth 0.5 Å below the topmost substrate atom).
QUICK_REDUCED_DEPTH_A = 0.5

#: Default DFT settings: GPAW's ``lcao-dzp`` preset (LCAO, dzp basis, 0.2 Å grid, 3.5 k-points
#: per Å⁻¹, 0.1 eV), PBE, with the SCF stopped at a density change of 1e-3 electrons per
#: valence electron (GPAW's energy criterion, 5e-4 eV per electron over three iterations, still
#: applies): 2-4 fewer of 11-16 slab iterations, energies within 0.3 meV (28-atom Cu slab) and
#: 2.2 meV (75-atom α-brass slab) of the 1e-4 ones (bench/results/verify_levers.json). Plane waves would take ~1000 h for the default targets
#: (bench/results/verify.json, where LCAO minus plane waves on Cu(111) is measured):
#: ``dft_settings={"preset": "fast"}``.
FULL_DFT: dict[str, Any] = {"preset": "lcao-dzp", "density_tol": 1e-3}

#: Default reduced slab for E_b: the substrate within 4.5 Å of its top (three Cu(111) planes).
FULL_REDUCED_DEPTH_A = 4.5


class Options(StudyOptions):
    """Every setting of the DFT verification of the MLIP verdicts (5a, 5c).

    ``mlip_preset`` names the presets of the surface and Li-site studies whose stored results
    are verified (the campaign's ``quick`` or ``full``); they are read, never recomputed.
    """

    study: ClassVar[str] = "verify"

    materials: list[MaterialInput] = Field(
        default_factory=lambda: list(defaults.PAPER_MATERIALS),
        min_length=1,
        description="Materials whose MLIP results are verified (labels as stored).",
    )
    calculator: str = Field("sevenn", description="The MLIP whose results are verified.")
    mlip_preset: Literal["full", "quick"] = Field(
        "full", description="Preset of the surface/li_sites studies whose results are read."
    )
    dft: str = Field("gpaw", description="DFT calculator registry name.")
    dft_settings: dict[str, Any] = Field(
        default_factory=lambda: dict(FULL_DFT),
        description="DFT settings (one for every calculation; see potentials.dft.gpaw).",
    )
    nprocs: int | None = Field(
        None,
        ge=1,
        description="MPI ranks of each DFT run (None: $SLURM_NTASKS, else every core of this "
        "machine; the quick preset: 1).",
    )
    gamma_millers: list[list[int]] = Field(
        default_factory=lambda: [list(m) for m in defaults.MILLERS],
        description="Facets whose lowest-γ slab is verified (empty: no γ).",
    )
    binding_millers: list[list[int]] = Field(
        default_factory=lambda: [[1, 1, 1]],
        description="Facets whose Li sites are verified (empty: no E_b).",
    )
    top_k: int = Field(1, ge=1, description="Strongest adsorbed sites verified per slab.")
    incorporated: bool = Field(
        True, description="Also verify the strongest incorporated/reconstructed site per slab."
    )
    sqs_samples: int = Field(1, ge=1, description="SQS samples verified per random alloy facet.")
    reduced_depth_a: float | None = Field(
        FULL_REDUCED_DEPTH_A,
        gt=0,
        description="E_b on reduced slabs: substrate within this depth of the top, Å "
        "(4.5: three Cu(111) planes; None: full slabs).",
    )
    relax: bool = Field(False, description="Also relax with DFT from the MLIP geometries.")
    dft_forces: bool = Field(
        False,
        description="Also compute DFT forces in the single points (the residual force on each "
        "MLIP geometry); γ and E_b need energies only, and GPAW LCAO spends 3-6 SCF iterations' "
        "worth of CPU on the forces.",
    )
    surface_study: surface.Options | None = Field(
        None,
        description="The 5a study to verify, as run (None: its mlip_preset preset for "
        "materials, calculator and gamma_millers).",
    )
    sites_study: li_sites.Options | None = Field(
        None,
        description="The 5c study to verify, as run (None: its mlip_preset preset for "
        "materials, calculator and binding_millers).",
    )
    fmax_ev_per_a: float = Field(
        defaults.SLAB_FMAX_EV_PER_A, gt=0, description="DFT relaxation force threshold, eV/Å."
    )

    @classmethod
    def quick(cls, **overrides: Any) -> Self:
        """Return the CI verification: quick MLIP results, top-1 site, top plane only, small DFT mesh."""
        quick = {
            "mlip_preset": "quick",
            "dft_settings": dict(QUICK_DFT),
            "gamma_millers": [[1, 1, 1]],
            "top_k": 1,
            "reduced_depth_a": QUICK_REDUCED_DEPTH_A,
            "nprocs": 1,
        }
        return cls(**{**quick, **overrides})

    @field_validator("calculator", "dft", mode="after")
    @classmethod
    def _check_name(cls, name: str) -> str:
        try:
            CalculatorSpec(name)
        except ConfigurationError as exc:
            raise ValueError(str(exc).removeprefix("calculator: ")) from None
        return name

    def dft_nprocs(self) -> int:
        """MPI ranks of each DFT run: ``nprocs``, else ``$SLURM_NTASKS``, else every core.

        On 2 ranks GPAW splits the k-points; per SCF iteration the two ranks together use
        1.05× the CPU time of one (28-atom E_b slab, 10 k-points: 25.2 vs 24.0 CPU s), so a
        2-core machine runs the default verify ~1.9× faster (bench/results/verify_levers.json).
        """
        from lithiophilic.potentials.dft.gpaw_mpi import default_nprocs

        if self.nprocs is not None:
            return self.nprocs
        return default_nprocs(fallback=os.cpu_count() or 1)

    def dft_spec(self) -> CalculatorSpec:
        """Return the DFT calculator spec (``nprocs`` is a runtime setting, not in the cache key)."""
        kwargs = dict(self.dft_settings)
        ranks = self.dft_nprocs()
        if self.nprocs is not None or ranks > 1:
            kwargs["nprocs"] = ranks
        return CalculatorSpec(self.dft, kwargs)

    @classmethod
    def of_study(cls, study: surface.Options | li_sites.Options, **overrides: Any) -> Self:
        """Return the verification of one 5a (surface) or 5c (li_sites) study, as it was run.

        Its materials, calculator and facets are the study's; only that panel is verified.
        """
        common = {"materials": list(study.materials), "calculator": study.calculator}
        if isinstance(study, surface.Options):
            picked = {"surface_study": study, "gamma_millers": study.millers, "binding_millers": []}
        else:
            picked = {"sites_study": study, "binding_millers": study.millers, "gamma_millers": []}
        return cls(**{**common, **picked, **overrides})

    def surface_options(self) -> surface.Options:
        """Return the surface study's options whose results are verified."""
        if self.surface_study is not None:
            return self.surface_study
        preset = surface.Options.quick if self.mlip_preset == "quick" else surface.Options.full
        millers = self.gamma_millers or [list(m) for m in defaults.MILLERS]
        return preset(materials=list(self.materials), calculator=self.calculator, millers=millers)

    def sites_options(self) -> li_sites.Options:
        """Return the Li-site study's options whose results are verified."""
        if self.sites_study is not None:
            return self.sites_study
        preset = li_sites.Options.quick if self.mlip_preset == "quick" else li_sites.Options.full
        millers = self.binding_millers or [[1, 1, 1]]
        return preset(materials=list(self.materials), calculator=self.calculator, millers=millers)

    def maker(self) -> VerifyMaker:
        """Return the Maker of the verification jobs."""
        return VerifyMaker(
            dft=self.dft_spec(),
            mlip=CalculatorSpec(self.calculator),
            reduced_depth_a=self.reduced_depth_a,
            relax=self.relax,
            dft_forces=self.dft_forces,
            fmax_ev_per_a=self.fmax_ev_per_a,
        )


class Result(StudyResult):
    """MLIP and DFT side by side, and whether each verdict survives DFT."""

    study: str = Field("verify", description="Study name.")
    definition: str = Field(VERIFY_DEFINITION, description="Formulas and conventions.")
    gamma: list[dict[str, Any]] = Field(
        default_factory=list, description="One VerifyGammaDoc per verified slab (newest)."
    )
    binding: list[dict[str, Any]] = Field(
        default_factory=list, description="One VerifyBindingDoc per verified Li site (newest)."
    )
    surface_rows: list[dict[str, Any]] = Field(
        default_factory=list, description="The MLIP surface-energy rows (surface.collect)."
    )
    summaries: list[dict[str, Any]] = Field(
        default_factory=list, description="The MLIP Li-site summaries (li_sites.collect)."
    )
    dft_description: str = Field("", description="DFT calculator and settings, in words.")


# --------------------------------------------------------------------------- selection
def _lowest_rows(rows: list[dict[str, Any]], sqs_samples: int) -> list[dict[str, Any]]:
    """Per material and facet (and SQS sample), the converged row of lowest Cu-rich-edge γ."""
    best: dict[tuple[Any, ...], dict[str, Any]] = {}
    seeds: dict[tuple[str, tuple[int, ...]], list[int]] = {}
    for r in rows:
        if r.get("sqs_seed") is not None:
            seeds.setdefault((r["material"], tuple(r["miller"])), []).append(int(r["sqs_seed"]))
    for r in rows:
        edges = row_gamma_edges_j_per_m2(r)
        if edges is None or r.get("fix", "center") != "center":
            continue
        seed = r.get("sqs_seed")
        if (
            seed is not None
            and seed not in sorted(set(seeds[(r["material"], tuple(r["miller"]))]))[:sqs_samples]
        ):
            continue
        key = (r["material"], tuple(r["miller"]), seed)
        rank = (edges[0], -int(r.get("n_atoms") or 0))
        if key not in best or rank < best[key]["_rank"]:
            best[key] = {**r, "_rank": rank, "mlip_gamma_j_per_m2": edges[0]}
    return [{k: v for k, v in r.items() if k != "_rank"} for r in best.values()]


def _site_targets(summaries: list[dict[str, Any]], options: Options) -> list[dict[str, Any]]:
    """Return the top-k adsorbed sites (and the strongest incorporated one) of each summary."""
    seeds: dict[tuple[str, tuple[int, ...]], list[int]] = {}
    for s in summaries:
        if s.get("sqs_seed") is not None:
            seeds.setdefault((s["material"], tuple(s["miller"])), []).append(int(s["sqs_seed"]))
    out = []
    for s in summaries:
        seed = s.get("sqs_seed")
        if (
            seed is not None
            and seed
            not in sorted(set(seeds[(s["material"], tuple(s["miller"]))]))[: options.sqs_samples]
        ):
            continue
        rows = sorted(
            (r for r in s.get("rows") or [] if r.get("converged")),
            key=lambda r: -float(r["binding_energy_bcc_ev"]),
        )
        ads = [r for r in rows if r.get("outcome") in (None, "adsorbed")][: options.top_k]
        picks = [(r, "adsorbed top-k") for r in ads]
        inc = [r for r in rows if r.get("outcome") in ("incorporated", "reconstructed")]
        if options.incorporated and inc:
            picks.append((inc[0], "incorporated"))
        for r, why in picks:
            out.append(
                {
                    "material": s["material"],
                    "miller": list(s["miller"]),
                    "facet": facet_label(s["miller"]),
                    "termination": s.get("termination"),
                    "sqs_seed": seed,
                    "site_label": r["site_label"],
                    "outcome": r.get("outcome"),
                    "selected_as": why,
                    "binding_energy_bcc_ev": float(r["binding_energy_bcc_ev"]),
                    "calculator_name": s["calculator_name"],
                }
            )
    return out


def select_targets(
    store: JobStore, options: Options
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """Return (γ targets, E_b targets, what is missing) from the stored MLIP results."""
    missing: list[str] = []
    gammas: list[dict[str, Any]] = []
    if options.gamma_millers:
        res = surface.collect(store, options.surface_options())
        missing += [f"MLIP surface energy {m}" for m in res.missing]
        gammas = _lowest_rows(res.rows, options.sqs_samples)
    sites: list[dict[str, Any]] = []
    if options.binding_millers:
        res_s = li_sites.collect(store, options.sites_options())
        missing += [f"MLIP Li sites {m}" for m in res_s.missing]
        sites = _site_targets(res_s.summaries, options)
    return gammas, sites, missing


def _output_of(store: JobStore, criteria: dict[str, Any], what: str) -> dict[str, Any]:
    doc = store.query_one(
        criteria, properties=["uuid", "output"], sort={"completed_at": -1}, load=True
    )
    if doc is None:
        msg = f"verify: no stored {what} ({criteria})"
        raise CalculationFailed(msg)
    out = dict(doc["output"])
    out["uuid"] = doc["uuid"]
    return out


def _calc_structure(store: JobStore, calculator: str, **match: Any) -> Structure:
    """Return the structure of the stored ase_calc document matching ``match`` exactly."""
    crit = {"output.doc_type": "ase_calc", "output.calculator_name": calculator}
    crit |= {f"output.{k}": v for k, v in match.items()}
    return Structure.from_dict(_output_of(store, crit, "MLIP calculation")["structure"])


def _gamma_inputs(
    store: JobStore, t: dict[str, Any]
) -> tuple[dict[str, Any], Structure, dict[str, Structure]]:
    """Return the target (with its chemical-potential reference), its slab and reference cells."""
    doc = _output_of(store, {"uuid": t["uuid"]}, "surface-energy document")
    slab = Structure.from_dict(doc["relaxed_structure"])
    calc = t["calculator_name"]
    refs = {"bulk": _calc_structure(store, calc, energy_per_atom_ev=doc["bulk_energy_per_atom_ev"])}
    target = {
        **t,
        "facet": facet_label(t["miller"]),
        "counts": doc["counts"],
        "area_a2": doc["area_a2"],
    }
    if doc["method"] == "stoichiometric":
        target["reference"] = f"stoichiometric: {doc['bulk_reference']}"
    else:
        line = doc.get("gamma_vs_delta_mu") or {}
        rich = line.get("dependent_element")
        elem = (doc.get("elemental_energy_per_atom_ev") or {}).get(rich)
        if rich is None or elem is None:
            msg = f"verify: {t['material']} {target['facet']}: no γ(Δμ) line or elemental reference"
            raise CalculationFailed(msg)
        refs["elemental"] = _calc_structure(store, calc, energy_per_atom_ev=elem)
        target["rich_element"] = rich
        target["reference"] = (
            f"Δμ-min edge: mu_{rich} = elemental {rich} bulk; {doc['bulk_reference']}"
        )
    return target, slab, refs


def _binding_inputs(
    store: JobStore, t: dict[str, Any]
) -> tuple[dict[str, Any], Structure, Structure]:
    """Return the target (with the MLIP's Li reference), its relaxed slab+Li and clean supercell."""
    crit = {
        "output.doc_type": "li_site",
        "output.material": t["material"],
        "output.miller": t["miller"],
        "output.site_label": t["site_label"],
        "output.calculator_name": t["calculator_name"],
        "output.termination": t["termination"],
        "output.sqs_seed": t["sqs_seed"],
    }
    doc = _output_of(store, crit, "Li-site document")
    with_li = Structure.from_dict(doc["relaxed_structure"])
    clean = _calc_structure(
        store,
        t["calculator_name"],
        task="static",
        energy_ev=doc["slab_energy_ev"],
        n_atoms=len(with_li) - 1,
    )
    mu = doc["energy_ev"] - doc["slab_energy_ev"] - doc["adsorption_energy_bcc_ev"]
    return {**t, "uuid": doc["uuid"], "mlip_mu_li_ev": mu}, with_li, clean


@job(config=JobConfig(expose_store=True))
def plan_verification(options: dict[str, Any]) -> Response:
    """Read the stored MLIP results, then replace this job by the verification jobs.

    Raises
    ------
    CalculationFailed
        If nothing of what ``options`` asks for is stored (run the MLIP stages first).
    """
    from jobflow import CURRENT_JOB

    opts = Options(**options)
    store = CURRENT_JOB.store
    gammas, sites, missing = select_targets(store, opts)
    for m in missing:
        logger.warning("verify: missing %s", m)
    if not gammas and not sites:
        msg = "verify: no stored MLIP surface energy or Li site to verify; run those stages first"
        raise CalculationFailed(msg)
    maker = opts.maker()
    jobs: list[Any] = []
    outputs: dict[str, Any] = {"doc_type": "verify_plan", "gamma": [], "binding": []}
    for t in gammas:
        target, slab, refs = _gamma_inputs(store, t)
        js = maker.gamma_jobs(target, slab, refs)
        jobs += js
        outputs["gamma"].append(js[-1].output)
    if sites:
        li_jobs = maker.li_reference_jobs()
        jobs += li_jobs
        li = li_jobs[-1]
        for t in sites:
            target, with_li, clean = _binding_inputs(store, t)
            js = maker.binding_jobs(target, with_li, clean, li.output)
            jobs += js
            outputs["binding"].append(js[-1].output)
    logger.info("verify: %d γ and %d E_b targets, %d jobs", len(gammas), len(sites), len(jobs))
    # a dict output: the study runner reads a flow's output as a dict to know it completed
    return Response(replace=Flow(jobs, output=outputs, name="verify"))


# --------------------------------------------------------------------------- protocol
def build_flows(options: Options) -> dict[str, Flow]:
    """Return the verification flow (one planning job that fans out when it runs).

    Raises
    ------
    ConfigurationError
        If the DFT or MLIP calculator is not installed.
    """
    options.maker()  # Maker checks
    ensure_available(options.dft_spec())
    ensure_available(CalculatorSpec(options.calculator))
    plan = plan_verification(options.model_dump(mode="json"))
    plan.name = "verify plan"
    return {"verify": Flow([plan], output=plan.output, name="verify")}


def run(
    options: Options,
    store: JobStore | None = None,
    *,
    data_dir: str | Path | None = None,
    on_job: Callable[[JobEvent], None] | None = None,
    flows: Mapping[str, Flow] | None = None,
) -> Result:
    """Run the verification locally into ``store`` and return :func:`collect`'s result."""
    store, _outputs, failed = build_and_run(
        options, store, build_flows=build_flows, data_dir=data_dir, on_job=on_job, flows=flows
    )
    result = collect(store, options)
    result.failed.update(failed)
    return result


def _newest(
    store: JobStore, doc_type: str, options: Options, identity: tuple[str, ...]
) -> list[dict[str, Any]]:
    labels = [material_label(m) for m in options.materials]
    crit = {
        "output.doc_type": doc_type,
        "output.material": {"$in": labels},
        "output.mlip_calculator_name": options.calculator,
        "output.dft_calculator_name": options.dft,
    }
    spec_settings = options.dft_spec()
    settings = calculator_provenance(spec_settings)["settings"]
    runtime = spec_settings.backend.runtime_keys
    want = {k: v for k, v in settings.items() if k not in runtime}
    latest: dict[str, dict[str, Any]] = {}
    for doc in store.query(criteria=crit, properties=["uuid", "output"], sort={"completed_at": 1}):
        out = dict(doc["output"])
        have = {k: v for k, v in (out.get("dft_settings") or {}).items() if k not in runtime}
        if have != want:
            continue
        if doc_type == "verify_binding" and out.get("reduced_depth_a") != options.reduced_depth_a:
            continue
        out["uuid"] = doc["uuid"]
        latest[repr([out.get(k) for k in identity])] = out
    return list(latest.values())


def collect(store: JobStore, options: Options) -> Result:
    """Return the stored verification documents for ``options`` and the MLIP results they verify.

    Never raises for a half-finished verification: each selected target without a stored
    document is named in ``Result.missing``.
    """
    gammas, sites, missing = select_targets(store, options)
    g_docs = _newest(
        store,
        "verify_gamma",
        options,
        ("material", "miller", "termination", "sqs_seed", "n_layers"),
    )
    b_docs = _newest(
        store,
        "verify_binding",
        options,
        ("material", "miller", "termination", "sqs_seed", "site_label"),
    )
    have_g = {
        (d["material"], tuple(d["miller"]), d["termination"], d.get("sqs_seed")) for d in g_docs
    }
    for t in gammas:
        if (
            t["material"],
            tuple(t["miller"]),
            int(t.get("termination") or 0),
            t.get("sqs_seed"),
        ) not in have_g:
            missing.append(f"DFT γ {t['material']} {facet_label(t['miller'])}")
    have_b = {(d["material"], tuple(d["miller"]), d["site_label"]) for d in b_docs}
    for t in sites:
        if (t["material"], tuple(t["miller"]), t["site_label"]) not in have_b:
            missing.append(f"DFT E_b {t['material']} {facet_label(t['miller'])} {t['site_label']}")
    rows = surface.collect(store, options.surface_options()).rows if options.gamma_millers else []
    sums = (
        li_sites.collect(store, options.sites_options()).summaries
        if options.binding_millers
        else []
    )
    return Result(
        options=options.model_dump(mode="json"),
        gamma=g_docs,
        binding=b_docs,
        surface_rows=rows,
        summaries=sums,
        missing=missing,
        dft_description=f"{options.dft} {options.dft_settings}",
    )


def _wall_text(result: Result) -> str:
    docs = [*result.gamma, *result.binding]
    cost, n = verify_cost_s(docs)
    here = sum(sum(d["wall_time_s"].values()) for d in docs)
    return (
        f"{n} calculations, {cost:.0f} s wall in total, each counted once where it was "
        f"computed ({here:.0f} s computed by this run, the rest reused)"
    )


def claims(result: Result, *, roles: Mapping[str, str] | None = None) -> list[Claim]:
    """Return the "survives DFT" rows of 5a and 5c (:func:`lithiophilic.analysis.verify.verify_claims`)."""
    return verify_claims(
        surface_rows=result.surface_rows,
        gamma_checks=result.gamma,
        summaries=result.summaries,
        binding_checks=result.binding,
        settings=f"DFT {result.dft_description} on the MLIP geometries",
        times=_wall_text(result),
        roles=roles,
    )


def table_rows(result: Result) -> list[dict[str, Any]]:
    """Return MLIP and DFT side by side: one row per verified slab (γ) and Li site (E_b)."""
    rows: list[dict[str, Any]] = []
    for d in result.gamma:
        rows.append(
            {
                "quantity": "γ, J/m²",
                "material": d["material"],
                "facet": facet_label(d["miller"]),
                "slab / site": f"t{d['termination']}"
                + (f" s{d['sqs_seed']}" if d.get("sqs_seed") is not None else ""),
                "mlip": d["mlip_gamma_j_per_m2"],
                "mlip_sp": d["mlip_gamma_sp_j_per_m2"],
                "dft_sp": d["dft_gamma_sp_j_per_m2"],
                "dft_relaxed": d.get("dft_gamma_relaxed_j_per_m2"),
                "reduction_change": None,
                "atoms": d["n_atoms"],
                "wall_s": round(verify_cost_s([d])[0], 1),
            }
        )
    for d in result.binding:
        rows.append(
            {
                "quantity": "E_b vs bcc Li, eV",
                "material": d["material"],
                "facet": facet_label(d["miller"]),
                "slab / site": f"{d['site_label']} ({d.get('outcome') or 'adsorbed'})",
                "mlip": d["mlip_binding_energy_bcc_ev"],
                "mlip_sp": d["mlip_binding_sp_full_ev"],
                "dft_sp": d["dft_binding_sp_ev"],
                "dft_relaxed": d.get("dft_binding_relaxed_ev"),
                "reduction_change": d.get("reduction_change_ev"),
                "atoms": d["n_atoms_used"],
                "wall_s": round(verify_cost_s([d])[0], 1),
            }
        )
    return rows


def figures(result: Result, out_dir: str | Path, *, format: str = "png") -> dict[str, Path]:
    """Draw MLIP vs DFT (γ and E_b, parity plots); return ``{"verify": PNG}`` ({} when empty)."""
    figure = figure_path(Path(out_dir) / FIGURE_NAME, format)
    if not result.gamma and not result.binding:
        return {}
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 4))
    panels = (
        (axes[0], result.gamma, "mlip_gamma_j_per_m2", "dft_gamma_sp_j_per_m2", "γ (J/m²)"),
        (
            axes[1],
            result.binding,
            "mlip_binding_energy_bcc_ev",
            "dft_binding_sp_ev",
            "E_b vs bcc Li (eV)",
        ),
    )
    for ax, docs, xk, yk, title in panels:
        xs = [d[xk] for d in docs]
        ys = [d[yk] for d in docs]
        for d, x, y in zip(docs, xs, ys, strict=True):
            ax.plot(x, y, "o")
            ax.annotate(f"{d['material']} {facet_label(d['miller'])}", (x, y), fontsize=7)
        if xs:
            lo, hi = min(xs + ys), max(xs + ys)
            pad = 0.1 * (hi - lo or 1.0)
            ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], "k--", lw=0.8)
        ax.set_xlabel(f"MLIP {title}")
        ax.set_ylabel(f"DFT single point {title}")
    fig.tight_layout()
    figure.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(figure)
    plt.close(fig)
    return {"verify": figure}
