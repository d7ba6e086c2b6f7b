"""Validation of a distilled LAMMPS potential against its teacher.

Pure functions (no jobflow): per-family errors on held-out frames, physical checks computed
with both the potential and the teacher (lattice constants, Cu(111) surface energy, Li
adsorption-site ordering, Li–Li dimer curve, Li-cluster energies), LAMMPS stability runs
of Li on (111) slabs (:mod:`lithiophilic.potentials.distill.stability`), the targets, and
:func:`validate_potential`, which runs them all and writes the report.

Conventions: energies in eV, forces in eV/Å, errors are root-mean-square over frames
(energy per atom) or over force components; ``E_ads = E(slab+Li) - E(slab) - E(Li atom)``
(negative = favourable), computed with the same calculator throughout.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lithiophilic.errors import ConfigurationError
from lithiophilic.potentials.distill.frames import make_slab_111
from lithiophilic.potentials.distill.stability import (
    make_stability_system,
    measure_speed,
    run_stability,
)
from lithiophilic.potentials.lammps import LammpsPotential
from lithiophilic.units import EV_PER_A2_TO_J_PER_M2

if TYPE_CHECKING:
    from ase import Atoms
    from ase.calculators.calculator import Calculator

__all__ = [
    "STABILITY_SUBSTRATES",
    "compare_physics",
    "family_errors",
    "held_out_frames",
    "li_pairing_errors",
    "make_stability_system",
    "measure_speed",
    "physical_checks",
    "run_stability",
    "spot_check",
    "stability_systems",
    "summarize_targets",
    "validate_potential",
    "without_md_start_frames",
    "write_parity_plot",
]

logger = logging.getLogger(__name__)


def family_errors(
    frames: Sequence[Atoms], predictions: Sequence[tuple[float, np.ndarray]]
) -> dict[str, dict[str, float]]:
    """Return per-family and overall energy RMSE (meV/atom) and force RMSE (eV/Å).

    Parameters
    ----------
    frames
        Teacher-labelled frames with ``info["family"]``.
    predictions
        ``(energy_ev, forces_ev_per_a)`` of the model for each frame.
    """
    de: dict[str, list[float]] = defaultdict(list)
    df: dict[str, list[np.ndarray]] = defaultdict(list)
    for atoms, (e, f) in zip(frames, predictions, strict=True):
        res = atoms.calc.results
        for key in (atoms.info.get("family", "unknown"), "all"):
            de[key].append((e - float(res["energy"])) / len(atoms))
            df[key].append((f - np.asarray(res["forces"])).ravel())
    out = {}
    for key in sorted(de, key=lambda k: (k == "all", k)):
        fe = np.concatenate(df[key])
        out[key] = {
            "n_frames": len(de[key]),
            "energy_rmse_mev_per_atom": float(1000.0 * np.sqrt(np.mean(np.square(de[key])))),
            "force_rmse_ev_per_a": float(np.sqrt(np.mean(np.square(fe)))),
            "force_max_abs_error_ev_per_a": float(np.abs(fe).max()),
        }
    return out


def li_pairing_errors(
    frames: Sequence[Atoms], predictions: Sequence[tuple[float, np.ndarray]]
) -> dict[str, Any]:
    """Return model-vs-teacher Li pairing energies of the ``li_pairs_111`` slab samples.

    Per slab sample (same slab, every arrangement of
    :data:`~lithiophilic.potentials.distill.frames.LI_PAIR_ARRANGEMENTS`):
    ``E_pair = E(pair) - E(apart)`` and ``E_trimer = E(trimer) - E(apart3)`` in eV (negative:
    the Li gain energy by sitting in neighbouring hollows, the driving force of aggregation).
    Returns the per-sample values and the RMSE and mean signed error (model - teacher), eV.
    """
    by_sample: dict[str, dict[str, tuple[float, float]]] = defaultdict(dict)
    for atoms, (e, _) in zip(frames, predictions, strict=True):
        if atoms.info.get("family") != "li_pairs_111":
            continue
        by_sample[atoms.info["sample"]][atoms.info["arrangement"]] = (
            float(atoms.calc.results["energy"]),
            float(e),
        )
    rows = []
    for sample, arr in sorted(by_sample.items()):
        row: dict[str, Any] = {"sample": sample}
        for key, (a, b) in (("pair", ("pair", "apart")), ("trimer", ("trimer", "apart3"))):
            if a in arr and b in arr:
                row[f"{key}_teacher_ev"] = arr[a][0] - arr[b][0]
                row[f"{key}_model_ev"] = arr[a][1] - arr[b][1]
        rows.append(row)
    out: dict[str, Any] = {"samples": rows}
    for key in ("pair", "trimer"):
        d = [r[f"{key}_model_ev"] - r[f"{key}_teacher_ev"] for r in rows if f"{key}_model_ev" in r]
        if d:
            out[f"{key}_rmse_ev"] = float(np.sqrt(np.mean(np.square(d))))
            out[f"{key}_mean_error_ev"] = float(np.mean(d))
    return out


def _energy(atoms: Atoms, calc: Calculator) -> float:
    a = atoms.copy()
    a.calc = calc
    return float(a.get_potential_energy())


def _relax(atoms: Atoms, calc: Calculator, *, fmax: float = 0.02, steps: int = 300) -> Atoms:
    from ase.optimize import FIRE

    a = atoms.copy()
    a.calc = calc
    FIRE(a, logfile=None).run(fmax=fmax, steps=steps)
    return a


def _lattice_constant_a(
    symbol: str, structure: str, guess_a: float, calc: Calculator, *, span: float = 0.04
) -> float:
    """Return the cubic lattice constant (Å) from a parabola through E(a) (conventional cell)."""
    from ase.build import bulk

    grid = guess_a * np.linspace(1.0 - span, 1.0 + span, 9)
    energies = [_energy(bulk(symbol, structure, a=a, cubic=True), calc) for a in grid]
    i = int(np.argmin(energies))
    lo, hi = max(0, i - 2), min(len(grid), i + 3)
    c = np.polyfit(grid[lo:hi], energies[lo:hi], 2)
    return float(-c[1] / (2.0 * c[0]))


def _surface_energy_cu111_j_per_m2(calc: Calculator, a_a: float) -> float:
    from ase.build import bulk, fcc111

    e_bulk = _energy(bulk("Cu", "fcc", a=a_a), calc)
    slab = fcc111("Cu", size=(1, 1, 6), a=a_a, vacuum=8.0)
    slab = _relax(slab, calc)
    area = float(np.linalg.norm(np.cross(slab.cell[0], slab.cell[1])))
    gamma = (slab.get_potential_energy() - len(slab) * e_bulk) / (2.0 * area)
    return gamma * EV_PER_A2_TO_J_PER_M2


def _li_adsorption_ev(calc: Calculator, substrate: str, seed: int) -> dict[str, float]:
    """Return E_ads (eV) of one Li on the fcc-hollow and on-top sites of a 3x3x4 (111) slab.

    The slab is fixed (ideal positions); Li is relaxed along z only by a short scan, so the
    numbers compare the potential-energy surfaces of both calculators at equal geometry.
    """
    from ase import Atom, Atoms

    rng = np.random.default_rng(seed)
    slab = make_slab_111(substrate, rng=rng)  # type: ignore[arg-type]
    e_slab = _energy(slab, calc)
    e_li = _energy(Atoms("Li", positions=[[7, 7, 7]], cell=[14] * 3, pbc=True), calc)
    z = slab.positions[:, 2]
    top = np.flatnonzero(z > z.max() - 0.3)
    second = np.flatnonzero((z < z.max() - 0.3) & (z > z.max() - 3.0))
    third = np.flatnonzero((z < z.max() - 3.0) & (z > z.max() - 5.0))
    p_top = slab.positions[top[4]]
    # fcc hollow: above a third-layer atom
    p3 = slab.positions[third[4]]
    p_fcc = np.array([p3[0], p3[1], z.max()])
    p_hcp = slab.positions[second[4]].copy()
    p_hcp[2] = z.max()
    out = {}
    for name, p in (("top", p_top), ("fcc", p_fcc), ("hcp", p_hcp)):
        best = np.inf
        for h in np.arange(1.6, 3.21, 0.1):
            a = slab.copy()
            a.append(Atom("Li", p + np.array([0, 0, h - (p[2] - z.max())])))
            best = min(best, _energy(a, calc))
        out[name] = best - e_slab - e_li
    return out


def _dimer_curve(calc: Calculator, r_a: np.ndarray) -> list[float]:
    from ase import Atoms

    out = []
    for r in r_a:
        a = Atoms("Li2", positions=[[0, 0, 0], [r, 0, 0]], cell=[14] * 3, pbc=True)
        a.center()
        out.append(_energy(a, calc))
    return out


def _li_clusters() -> list[Atoms]:
    from ase import Atoms
    from ase.cluster import Icosahedron

    out = []
    tri = Atoms("Li3", positions=[[0, 0, 0], [3.0, 0, 0], [1.5, 2.6, 0]])
    tet = Atoms("Li4", positions=[[0, 0, 0], [3.0, 0, 0], [1.5, 2.6, 0], [1.5, 0.87, 2.45]])
    ico = Icosahedron("Li", 2, latticeconstant=4.3)
    for a in (tri, tet, ico):
        a.set_cell([16] * 3)
        a.pbc = True
        a.center()
        out.append(a)
    return out


def physical_checks(model: Calculator, teacher: Calculator, *, seed: int = 0) -> dict[str, Any]:
    """Return the physical checks computed with ``model`` and with ``teacher`` side by side.

    Lattice constants of fcc Cu and bcc Li (Å), relaxed Cu(111) surface energy (J/m², 6
    layers), Li adsorption energies on top/fcc/hcp sites of ideal Cu(111) and
    Cu0.64Zn0.36(111) (reference: isolated Li atom) and their ordering, the Li2 binding curve
    (eV relative to two isolated atoms), and relaxed Li3/Li4/Li13 cluster energies per atom
    relative to the isolated atom.
    """
    from ase import Atoms

    out: dict[str, Any] = {}
    for label, calc in (("model", model), ("teacher", teacher)):
        t0 = time.perf_counter()
        a_cu = _lattice_constant_a("Cu", "fcc", 3.62, calc)
        a_li = _lattice_constant_a("Li", "bcc", 3.44, calc)
        e_li_atom = _energy(Atoms("Li", positions=[[7, 7, 7]], cell=[14] * 3, pbc=True), calc)
        r = np.linspace(2.0, 5.0, 13)
        dimer = [e - 2 * e_li_atom for e in _dimer_curve(calc, r)]
        clusters = {}
        for cl in _li_clusters():
            relaxed = _relax(cl, calc, steps=200)
            clusters[f"Li{len(cl)}"] = (relaxed.get_potential_energy() - len(cl) * e_li_atom) / len(
                cl
            )
        out[label] = {
            "a_cu_fcc_a": a_cu,
            "a_li_bcc_a": a_li,
            "gamma_cu111_j_per_m2": _surface_energy_cu111_j_per_m2(calc, a_cu),
            "li_ads_cu111_ev": _li_adsorption_ev(calc, "Cu", seed),
            "li_ads_cuzn111_ev": _li_adsorption_ev(calc, "CuZn", seed),
            "li2_r_a": r.tolist(),
            "li2_binding_ev": dimer,
            "li_cluster_energy_per_atom_ev": clusters,
            "time_s": round(time.perf_counter() - t0, 1),
        }
    out["comparison"] = compare_physics(out["model"], out["teacher"])
    return out


def compare_physics(m: dict[str, Any], t: dict[str, Any]) -> dict[str, Any]:
    """Compare the model's physical checks ``m`` with the teacher's ``t`` (see :func:`physical_checks`).

    Site ordering is reported twice: the full top/fcc/hcp order, and whether the hollow sites
    (the lower of fcc and hcp) bind more strongly than the top site for both calculators.
    """

    def order(d: dict[str, float]) -> list[str]:
        return sorted(d, key=d.get)  # type: ignore[arg-type]

    def hollow_below_top(d: dict[str, float]) -> bool:
        return min(d["fcc"], d["hcp"]) < d["top"]

    out: dict[str, Any] = {
        "a_cu_rel_error": m["a_cu_fcc_a"] / t["a_cu_fcc_a"] - 1.0,
        "a_li_rel_error": m["a_li_bcc_a"] / t["a_li_bcc_a"] - 1.0,
        "gamma_cu111_rel_error": m["gamma_cu111_j_per_m2"] / t["gamma_cu111_j_per_m2"] - 1.0,
    }
    for surf in ("cu111", "cuzn111"):
        mm, tt = m[f"li_ads_{surf}_ev"], t[f"li_ads_{surf}_ev"]
        out[f"li_site_order_{surf}_same"] = order(mm) == order(tt)
        out[f"li_hollow_vs_top_{surf}_same"] = hollow_below_top(mm) == hollow_below_top(tt)
        out[f"li_ads_{surf}_max_abs_error_ev"] = max(abs(mm[k] - tt[k]) for k in tt)
        out[f"li_hollow_minus_top_{surf}_ev"] = {
            "model": min(mm["fcc"], mm["hcp"]) - mm["top"],
            "teacher": min(tt["fcc"], tt["hcp"]) - tt["top"],
        }
    out["li2_curve_rmse_ev"] = float(
        np.sqrt(np.mean(np.square(np.subtract(m["li2_binding_ev"], t["li2_binding_ev"]))))
    )
    out["li_cluster_max_abs_error_ev_per_atom"] = max(
        abs(m["li_cluster_energy_per_atom_ev"][k] - t["li_cluster_energy_per_atom_ev"][k])
        for k in t["li_cluster_energy_per_atom_ev"]
    )
    return out


def write_parity_plot(
    frames: Sequence[Atoms],
    predictions: Sequence[tuple[float, np.ndarray]],
    path: str | Path,
    *,
    title: str = "",
) -> Path:
    """Write energy (eV/atom) and force-component (eV/Å) parity plots, coloured by family."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fams = sorted({a.info.get("family", "unknown") for a in frames})
    cmap = plt.get_cmap("tab20")
    fig, (ax_e, ax_f) = plt.subplots(1, 2, figsize=(11, 5))
    for k, fam in enumerate(fams):
        sel = [i for i, a in enumerate(frames) if a.info.get("family", "unknown") == fam]
        e_ref = [frames[i].calc.results["energy"] / len(frames[i]) for i in sel]
        e_mod = [predictions[i][0] / len(frames[i]) for i in sel]
        f_ref = np.concatenate([np.ravel(frames[i].calc.results["forces"]) for i in sel])
        f_mod = np.concatenate([np.ravel(predictions[i][1]) for i in sel])
        ax_e.scatter(e_ref, e_mod, s=8, color=cmap(k % 20), label=fam)
        ax_f.scatter(f_ref, f_mod, s=2, color=cmap(k % 20), label=fam)
    for ax, unit in ((ax_e, "energy (eV/atom)"), (ax_f, "force component (eV/Å)")):
        lo, hi = ax.get_xlim()
        ax.plot([lo, hi], [lo, hi], "k--", lw=0.8)
        ax.set_xlabel(f"teacher {unit}")
        ax.set_ylabel(f"model {unit}")
    ax_f.legend(fontsize=7, markerscale=3, loc="upper left")
    fig.suptitle(title or "held-out parity")
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def spot_check(
    frames: Sequence[Atoms], pot: LammpsPotential, teacher: Calculator
) -> dict[str, float]:
    """Return model-vs-teacher errors on MD frames (energy meV/atom, force RMSE eV/Å)."""
    from lithiophilic.potentials.distill.frames import label_atoms
    from lithiophilic.potentials.distill.pod import evaluate_potential

    labelled = []
    for f in frames:
        a = f.copy()
        a.pbc = True
        a.info["family"] = "md_spot_check"
        labelled.append(label_atoms(a, teacher))
    return family_errors(labelled, evaluate_potential(pot, labelled))["all"]


#: Families the aggregation MD visits (held-out targets apply to these).
MD_VISITED_FAMILIES = (
    "md_cu111_li",
    "md_cuzn111_li",
    "slab_cu111_li",
    "slab_cuzn111_li",
    "li_clusters",
)
FORCE_TARGET_EV_PER_A = 0.05
ENERGY_TARGET_MEV_PER_ATOM = 5.0
#: Largest allowed |model - teacher| of a site-resolved Li pair/trimer interaction, eV.
PAIR_TARGET_EV = 0.03


def summarize_targets(report: dict[str, Any]) -> dict[str, Any]:
    """Return the accuracy and robustness targets with the measured values and the margin.

    Accuracy: held-out force RMSE <= 0.05 eV/Å and energy RMSE <= 5 meV/atom on every family
    the aggregation MD visits.  Robustness: every stability run stable (no lost atoms, no Li
    in the slab, no blow-up), with its length and size stated (the target is 100 ps on
    >= 1,000-atom slabs with >= 50 Li).
    """
    out: dict[str, Any] = {}
    errors = report.get("held_out_errors", {})
    fams = {f: e for f, e in errors.items() if f in MD_VISITED_FAMILIES}
    if fams:
        worst_f = max(fams, key=lambda f: fams[f]["force_rmse_ev_per_a"])
        worst_e = max(fams, key=lambda f: fams[f]["energy_rmse_mev_per_atom"])
        out["force_rmse"] = {
            "target_ev_per_a": FORCE_TARGET_EV_PER_A,
            "worst_family": worst_f,
            "worst_ev_per_a": fams[worst_f]["force_rmse_ev_per_a"],
            "met_on": sorted(
                f for f, e in fams.items() if e["force_rmse_ev_per_a"] <= FORCE_TARGET_EV_PER_A
            ),
            "missed_on": sorted(
                f for f, e in fams.items() if e["force_rmse_ev_per_a"] > FORCE_TARGET_EV_PER_A
            ),
        }
        out["energy_rmse"] = {
            "target_mev_per_atom": ENERGY_TARGET_MEV_PER_ATOM,
            "worst_family": worst_e,
            "worst_mev_per_atom": fams[worst_e]["energy_rmse_mev_per_atom"],
            "met_on": sorted(
                f
                for f, e in fams.items()
                if e["energy_rmse_mev_per_atom"] <= ENERGY_TARGET_MEV_PER_ATOM
            ),
            "missed_on": sorted(
                f
                for f, e in fams.items()
                if e["energy_rmse_mev_per_atom"] > ENERGY_TARGET_MEV_PER_ATOM
            ),
        }
    pairs = report.get("li_pair_interactions")
    if pairs:
        worst = pairs["max_abs_error_ev"]
        out["li_pair_interactions"] = {
            "target_max_abs_error_ev": PAIR_TARGET_EV,
            "max_abs_error_ev": worst,
            "met": bool(worst <= PAIR_TARGET_EV),
        }
    runs = report.get("stability", [])
    if runs:
        out["robustness"] = {
            "target": "100 ps NVT at 300 and 600 K, >= 1000-atom slabs with >= 50 Li, both surfaces",
            "all_stable": all(r["stable"] for r in runs),
            "time_ps": min(r["time_ps"] for r in runs),
            "n_atoms": min(r["n_atoms"] for r in runs),
            "n_li": min(r["n_li"] for r in runs),
        }
    return out


#: Surfaces of the stability runs: Cu(111) and the random Cu-Zn solid solution's (111).
STABILITY_SUBSTRATES: tuple[str, ...] = ("Cu", "CuZn")


def stability_systems(
    substrates: Sequence[str] | None,
    *,
    size: tuple[int, int, int],
    n_li: int,
    seed: int = 11,
) -> dict[str, Atoms]:
    """Return the stability-run systems (Li on a (111) slab) by substrate.

    Parameters
    ----------
    substrates
        Any of :data:`STABILITY_SUBSTRATES` (``None`` or empty: all).
    size
        Lateral repeats and layers of the slab.
    n_li
        Li atoms on it.
    seed
        Seed of the alloy decoration and the Li placement.

    Raises
    ------
    ConfigurationError
        If a substrate is not one of :data:`STABILITY_SUBSTRATES`.
    """
    bad = sorted(set(substrates or ()) - set(STABILITY_SUBSTRATES))
    if bad:
        msg = f"--substrate: {bad} not allowed; choose {' or '.join(STABILITY_SUBSTRATES)}"
        raise ConfigurationError(msg)
    return {
        substrate: make_stability_system(substrate, size=size, n_li=n_li, seed=seed)
        for substrate in substrates or STABILITY_SUBSTRATES
    }


def held_out_frames(files: Sequence[str | Path], elements: Sequence[str]) -> list[Atoms]:
    """Return the held-out (``split = test``) frames of teacher-labelled files, checked.

    Raises
    ------
    ConfigurationError
        If a file is missing or a frame lacks energy/forces or has other species.
    """
    from lithiophilic.potentials.distill.frames import (
        check_training_frames,
        read_frames_files,
        split_frames,
    )

    return split_frames(check_training_frames(read_frames_files(files), elements))[1]


def without_md_start_frames(frames: Sequence[Atoms]) -> list[int]:
    """Return the indices of ``frames`` without the first frame of each teacher-MD run.

    The first frame of a teacher-MD run is the generator's placement (Li 1.6-2.6 Å above
    random lateral sites), not a configuration the dynamics visits.
    """
    seen: set[str] = set()
    keep = []
    for i, a in enumerate(frames):
        group = a.info.get("group", "")
        if a.info.get("family", "").startswith("md_") and group not in seen:
            seen.add(group)
            continue
        keep.append(i)
    return keep


def _held_out_report(pot: LammpsPotential, test: Sequence[Atoms], out_dir: Path) -> dict[str, Any]:
    """Held-out errors (all frames, and without MD start frames), Li pairing, parity plot."""
    from lithiophilic.potentials.distill.pod import evaluate_potential

    preds = evaluate_potential(pot, test)
    keep = without_md_start_frames(test)
    report: dict[str, Any] = {
        "held_out_errors": family_errors(test, preds),
        "held_out_errors_without_md_start_frames": family_errors(
            [test[i] for i in keep], [preds[i] for i in keep]
        ),
    }
    pairing = li_pairing_errors(test, preds)
    if pairing["samples"]:
        report["held_out_li_pairing"] = pairing
    png = write_parity_plot(
        test, preds, out_dir / "parity.png", title=f"{pot.name}: held-out parity"
    )
    report["parity_png"] = str(png)
    return report


def validate_potential(
    pot: LammpsPotential,
    out_dir: str | Path,
    *,
    teacher: str = "sevenn",
    test: Sequence[Atoms] = (),
    physics: bool = True,
    stability_ps: float = 20.0,
    systems: Mapping[str, Atoms] | None = None,
    temperatures_k: Sequence[float] = (300.0, 600.0),
    on_section: Callable[[str, dict[str, Any]], None] | None = None,
    pair_interactions: Callable[[Calculator, Calculator], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Validate a LAMMPS potential against its teacher and write ``OUT/potential_validation.json``.

    Sections, each optional: held-out errors per family on ``test`` (also without the MD
    start frames), Li pairing and a parity plot (``OUT/parity.png``); the physical checks
    computed with the potential and the teacher (:func:`physical_checks`); NVT stability
    runs of ``stability_ps`` (then 2 ps NVE for the drift) on every system at every
    temperature, with a teacher spot check of each run's last frame; the targets
    (:func:`summarize_targets`).

    Parameters
    ----------
    pot
        The potential.
    out_dir
        Report directory (created).
    teacher
        Registry name of the teacher calculator.
    test
        Teacher-labelled held-out frames (empty: no held-out section).
    physics
        Run the physical checks.
    stability_ps
        NVT length of each stability run, ps (0: no stability runs).
    systems
        Substrate -> stability system (default :func:`stability_systems` of both
        substrates on 12x12x7 slabs with 50 Li).
    temperatures_k
        Stability-run temperatures, K.
    on_section
        Called as each section completes: ``("held_out", part)``, ``("physical_checks",
        part)``, ``("li_pair_interactions", part)``, ``("stability_run", run)``.
    pair_interactions
        ``(model_calc, teacher_calc) -> section``: the site-resolved Li–Li pair/trimer
        interactions, model vs teacher (issue 19 item 4; the caller passes
        :func:`lithiophilic.workflows.li_pair_validation.compare_pair_interactions`, which
        uses the analysis-layer definition this layer cannot import). ``None``: not run.

    Returns
    -------
    dict
        The report (``potential``, ``teacher``, the sections run, ``targets``).

    Raises
    ------
    ConfigurationError
        If the teacher is not a registered calculator (before any calculation).
    """
    from lithiophilic.potentials import CalculatorSpec, get_calculator
    from lithiophilic.potentials.distill.pod import _lammps_calc

    spec = CalculatorSpec(teacher)
    notify = on_section or (lambda kind, part: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    teacher_calc = get_calculator(spec)
    report: dict[str, Any] = {"potential": pot.info(), "teacher": teacher}
    if test:
        part = _held_out_report(pot, test, out)
        report.update(part)
        notify("held_out", part)
    if physics:
        report["physical_checks"] = physical_checks(_lammps_calc(pot), teacher_calc)
        notify("physical_checks", report["physical_checks"])
    if pair_interactions is not None:
        report["li_pair_interactions"] = pair_interactions(_lammps_calc(pot), teacher_calc)
        notify("li_pair_interactions", report["li_pair_interactions"])
    if stability_ps > 0:
        if systems is None:
            systems = stability_systems(None, size=(12, 12, 7), n_li=50)
        runs = []
        for substrate, system in systems.items():
            for t_k in temperatures_k:
                res = run_stability(
                    system, pot, temperature_k=t_k, time_ps=stability_ps, nve_ps=2.0
                )
                frames = res.pop("frames")
                if frames:
                    res["teacher_spot_check"] = spot_check([frames[-1]], pot, teacher_calc)
                res["substrate"] = substrate
                runs.append(res)
                notify("stability_run", res)
        report["stability"] = runs
    report["targets"] = summarize_targets(report)
    (out / "potential_validation.json").write_text(json.dumps(report, indent=1, default=float))
    return report
