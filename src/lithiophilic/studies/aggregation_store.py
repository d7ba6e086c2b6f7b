"""What the store holds for the aggregation study's options: the matching of stored MD runs.

A stored rate matches :class:`~lithiophilic.studies.aggregation.Options` when its potential,
replica count and cutoff, each replica's MD settings and the slab are those of the options
(:func:`find_rate`); :func:`compare_surfaces` and :func:`surface_verdicts` turn matched rates
into the 5f/g comparison. Shared by :mod:`~lithiophilic.studies.aggregation` and its teacher
check (:mod:`~lithiophilic.studies.aggregation_teacher`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lithiophilic import defaults
from lithiophilic.analysis.aggregation import compare_rates
from lithiophilic.analysis.aggregation_kinetics import verdict_table

if TYPE_CHECKING:
    from jobflow import JobStore

    from lithiophilic.studies.aggregation import Options

__all__ = ["compare_surfaces", "find_rate", "rate_summary_dump", "snapshots", "surface_verdicts"]


def _close(a: Any, b: float) -> bool:
    return a is not None and math.isclose(float(a), b, rel_tol=1e-9, abs_tol=1e-12)


def _md_matches(md: Mapping[str, Any], options: Options) -> bool:
    """Whether a stored MD replica document ran with these options' settings."""
    s = md.get("settings") or {}
    ase = options.engine == "ase"
    if (
        md.get("doc_type") != "md_aggregation"
        or s.get("engine", "lammps") != options.engine
        or (ase and s.get("calculator") != options.ase_calculator)
        or s.get("potential") not in _potentials_of(options)
        or s.get("thermostat") != options.thermostat
        or s.get("dump_every") != options.dump_every
        or s.get("check_every") != (options.ase_chunk_steps if ase else options.dump_every)
        or md.get("seed") != options.seed + int(md.get("replica", -1))
        or not _close(s.get("temperature_k"), options.temperature_k)
        or not _close(s.get("timestep_fs"), options.timestep_fs)
        or not _close(md.get("time_ps"), options.time_ps)
        or s.get("li_start", "minimized-free") != "held-apart"
        or s.get("thermostat_li", True) is not False
        or s.get("equilibration_steps", 0) != defaults.MD_EQUILIBRATION_STEPS
    ):
        return False
    n_li = int(md["n_li"])
    if options.n_li is not None:
        if n_li != options.n_li:
            return False
    else:
        n_top = round(n_li / float(md["coverage"]))
        if n_li != max(1, round(options.coverage * n_top)):
            return False
    if md.get("status") == "completed":
        given = md.get("cutoff_source") == "given"
        if given != (options.cutoff_a is not None):
            return False
        if given and not _close(md.get("cutoff_a"), options.cutoff_a):  # type: ignore[arg-type]
            return False
    return True


def _potentials_of(options: Options) -> tuple[str | None, ...]:
    """Return the ``potential`` values a matching replica's settings may carry.

    An ASE-engine run stores None (the study's LAMMPS potential plays no part in it; its
    calculator is matched instead); ASE runs stored before that carry the potential.
    """
    if options.engine == "ase":
        return (None, options.potential)
    return (options.potential,)


def _lattice_matches(sub: Mapping[str, Any], options: Options) -> bool:
    """Whether a stored slab's lattice constant came from the scan ``options`` ask for."""
    source = str(sub.get("lattice_constant_source") or "")
    if options.lattice_calculator is not None:
        return source == f"E(V) scan with {options.lattice_calculator}"
    return source in ("", f"E(V) scan with {options.potential}")


def _slab_settings_match(sub: Mapping[str, Any], options: Options) -> bool:
    return (
        list(sub.get("lateral_size", [])) == list(options.lateral_size)
        and sub.get("n_layers") == options.n_layers
        and sub.get("n_fixed_layers") == options.n_fixed_layers
        and list(sub.get("miller", [])) == [1, 1, 1]
        and _lattice_matches(sub, options)
    )


def _substrate_matches(store: JobStore, structure_hash: str, options: Options) -> bool:
    """Whether a stored clean slab with this hash has the options' slab settings.

    Several substrate jobs may have built the same slab (e.g. one lattice constant from two
    scans); one whose settings match is enough.
    """
    crit = {"output.doc_type": "md_substrate", "output.structure_hash": structure_hash}
    fields = ("lateral_size", "n_layers", "n_fixed_layers", "miller", "lattice_constant_source")
    docs = store.query(crit, properties=[f"output.{k}" for k in fields])
    if not any(_slab_settings_match(d["output"], options) for d in docs):
        return False
    doc = store.query_one(crit, properties=["output"], load={"data": ["structure"]})
    structure = (doc or {}).get("output", {}).get("structure")
    if not isinstance(structure, Mapping) or "lattice" not in structure:
        return False
    from pymatgen.core import Structure

    slab = Structure.from_dict(dict(structure))
    z = slab.cart_coords[:, 2]
    vacuum_a = float(slab.lattice.matrix[2, 2]) - float(z.max() - z.min())
    return math.isclose(vacuum_a, options.vacuum_a, abs_tol=1e-3)


def _rate_matches(out: Mapping[str, Any], options: Options) -> bool:
    if (
        out.get("n_replicas") != options.replicas
        or out.get("potential") != options.md_potential_label()
    ):
        return False
    if out.get("status") == "completed" and [
        round(c, 6) for c in out.get("analysis_cutoffs_a") or []
    ] != sorted(round(c, 6) for c in options.analysis_cutoffs_a):
        return False
    if out.get("status") != "completed":
        return True
    given = out.get("cutoff_source") == "given"
    if given != (options.cutoff_a is not None):
        return False
    return not given or _close(out.get("cutoff_a"), options.cutoff_a)  # type: ignore[arg-type]


def find_rate(
    store: JobStore, label: str, options: Options
) -> tuple[str, dict[str, Any], list[dict[str, Any]]] | None:
    """Return the newest stored rate (uuid, output, replica outputs) run with ``options``."""
    criteria = {"output.doc_type": "aggregation_rate", "output.material": label}
    props = [
        "uuid",
        "completed_at",
        *(f"output.{k}" for k in ("n_replicas", "potential", "status", "cutoff_source")),
        "output.cutoff_a",
        "output.analysis_cutoffs_a",
        "output.replica_uuids",
    ]
    candidates = list(store.query(criteria=criteria, properties=props, sort={"completed_at": 1}))
    for doc in reversed(candidates):
        out = doc["output"]
        uuids = list(out.get("replica_uuids") or [])
        if not _rate_matches(out, options) or len(uuids) != options.replicas:
            continue
        mds = [store.query_one({"uuid": u}, properties=["uuid", "output"]) for u in uuids]
        if any(m is None for m in mds):
            continue
        outs = [{**m["output"], "uuid": m["uuid"]} for m in mds]  # type: ignore[index]
        if not all(_md_matches(md, options) for md in outs):
            continue
        if not _substrate_matches(store, outs[0]["substrate_structure_hash"], options):
            continue
        full = store.query_one({"uuid": doc["uuid"]}, properties=["output"])
        return doc["uuid"], dict(full["output"]), outs  # type: ignore[index]
    return None


def rate_summary_dump(output: Mapping[str, Any]) -> dict[str, Any]:
    """Return a stored rate output as ``AggregationRateDoc.model_dump()`` (today's JSON)."""
    from lithiophilic.workflows.md import AggregationRateDoc

    fields = {k: v for k, v in output.items() if not k.startswith("@")}
    return AggregationRateDoc.model_validate(fields).model_dump()


def snapshots(store: JobStore, mds: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Return the snapshots (data store) of the first completed replica, if any."""
    first = next((m for m in mds if m.get("status") == "completed"), None)
    if first is None:
        return None
    doc = store.query_one(
        {"uuid": first["uuid"]}, properties=["output"], load={"data": ["snapshots"]}
    )
    snaps = (doc or {}).get("output", {}).get("snapshots")
    return snaps if isinstance(snaps, Mapping) and "frames" in snaps else None


def compare_surfaces(
    summaries: Mapping[str, Mapping[str, Any]],
) -> tuple[list[dict[str, Any]], list[str]]:
    """Compare the reference metal's rate with every other completed surface.

    The reference is ``defaults.PAPER_ROLES["reference"]``; without it there is no
    comparison. Rates fitted at different Li-Li cutoffs are not comparable: a warning says so.

    Returns
    -------
    tuple
        ``comparisons`` (``a``, ``b`` and :func:`~lithiophilic.analysis.aggregation.compare_rates`'s
        output) and ``warnings``.
    """
    done = {m: s for m, s in summaries.items() if s.get("status") == "completed"}
    warnings: list[str] = []
    cutoffs = {round(s["cutoff_a"], 3) for s in done.values() if s.get("cutoff_a") is not None}
    if len(cutoffs) > 1:
        warnings.append(
            "the surfaces were analysed at different Li-Li cutoffs "
            f"({', '.join(f'{c:.2f}' for c in sorted(cutoffs))} Å, each its own RDF minimum); "
            "their rates are not comparable: set cutoff_a (--cutoff) to compare them"
        )
    ref = defaults.PAPER_ROLES.get("reference")
    comparisons: list[dict[str, Any]] = []
    if ref in done:
        for m, s in done.items():
            if m != ref:
                cmp = compare_rates(
                    done[ref]["k_per_ps_replicas"], s["k_per_ps_replicas"], label_a=ref, label_b=m
                )
                comparisons.append({"a": ref, "b": m, **cmp})
    return comparisons, warnings


def surface_verdicts(summaries: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Return the reference metal vs solid solution verdict table (empty if one is missing).

    See :func:`~lithiophilic.analysis.aggregation_kinetics.verdict_table` (r0 at every
    analysis cutoff and window; window checks).
    """
    ref, ss = defaults.PAPER_ROLES["reference"], defaults.PAPER_ROLES["solid_solution"]
    done = {m: s for m, s in summaries.items() if s.get("status") == "completed"}
    if ref not in done or ss not in done:
        return {}
    return verdict_table(
        ref,
        ss,
        {m: done[m].get("kinetics") or [] for m in (ref, ss)},
        {m: done[m].get("window_checks") or [] for m in (ref, ss)},
    )
