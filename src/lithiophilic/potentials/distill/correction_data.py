"""Teacher-minus-base residuals of Li–Li interactions on (111) slabs: the data of the Li correction.

A *group* is one (111) slab (Cu, or a Cu0.64Zn0.36 SQS of a given seed) with a fixed substrate
geometry (relaxed with the base potential, then rattled) and a patch of Li positions: fcc and
hcp hollows near a random centre, some shifted off the hollow, each at its own height. Every
configuration of a group is a subset ``S`` of the patch on the same substrate, so the clean
slab and every single Li are computed once and the interaction residual of ``S`` is exact:

    ΔE_int(S) = Δ(S) − Σ_{i∈S} Δ({i}) + (|S| − 1) Δ(∅),    Δ = E_teacher − E_base

(the same inclusion–exclusion for the forces on every atom).  A correction that vanishes
for fewer than two Li (Li–Li pair and Li–Li–X three-body terms) must reproduce ΔE_int(S)
and ΔF_int(S) exactly; nothing about single-Li or substrate energies leaks in.

Subsets: pairs from 1.7 Å (below the nearest-neighbour hollow spacing) to 6 Å, compact
trimers and 4–6 Li islands.  Static single points (no relaxation): the teacher is called
once per configuration.  Plain functions; ``bench/bench_li_correction.py`` runs them.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lithiophilic.errors import ConfigurationError

if TYPE_CHECKING:
    from ase import Atoms
    from ase.calculators.calculator import Calculator

__all__ = [
    "MD_HELD_OUT_GROUPS",
    "MD_TRAINING_GROUPS",
    "CorrectionGroupSpec",
    "MdFrameGroupSpec",
    "group_specs",
    "interaction_residuals",
    "label_group",
    "label_li_only",
    "label_md_group",
    "make_group",
    "make_md_frames",
    "read_group",
    "read_li_only",
]

logger = logging.getLogger(__name__)

#: Closest Li–Li distance (Å) of a generated configuration.
MIN_LI_LI_A = 1.7
#: Largest Li–Li distance (Å) of a generated pair.
MAX_PAIR_A = 6.0


@dataclass(frozen=True)
class CorrectionGroupSpec:
    """One group: substrate, SQS seed, random seed and how many subsets of each kind.

    Parameters
    ----------
    substrate
        ``"Cu"`` or ``"CuZn"`` (Cu0.64Zn0.36 SQS, 5x5x3 (111), as in the pair validation).
    sqs_seed
        Seed of the alloy SQS (the validation uses 0; training groups use others).
    seed
        Seed of the patch, rattles and subset choice.
    n_sites, n_pairs, n_trimers, n_clusters
        Patch size and number of subsets of each kind.
    on_hollows
        Li exactly on the hollows at 1.85–2.05 Å (near the relaxed height) and compact
        trimers only (all sides ≤ 3 Å), instead of shifted Li at 1.75–2.3 Å.
    """

    substrate: str
    sqs_seed: int = 1
    seed: int = 0
    n_sites: int = 12
    n_pairs: int = 22
    n_trimers: int = 10
    n_clusters: int = 5
    on_hollows: bool = False

    @property
    def name(self) -> str:
        """Group label (file stem)."""
        tail = "-hollows" if self.on_hollows else ""
        return f"{self.substrate}-sqs{self.sqs_seed}-s{self.seed}{tail}"


def _planes_xy(slab: Atoms) -> list[np.ndarray]:
    z = slab.positions[:, 2]
    order = np.argsort(-z)
    planes: list[list[int]] = []
    for i in order:
        if planes and abs(z[planes[-1][0]] - z[i]) < 0.5:
            planes[-1].append(int(i))
        else:
            planes.append([int(i)])
    return [slab.positions[p, :2] for p in planes]


def _min_image(atoms: Atoms, d: np.ndarray) -> np.ndarray:
    cell2 = np.asarray(atoms.cell[:2, :2])
    frac = np.linalg.solve(cell2.T, d.T).T
    frac -= np.round(frac)
    return frac @ cell2


def make_group(
    spec: CorrectionGroupSpec, base: Calculator, slab_factory: Callable[..., Atoms]
) -> tuple[Atoms, np.ndarray, list]:
    """Return the substrate, the Li patch positions ``(n_sites, 3)`` and the subsets.

    ``slab_factory(substrate, seed=sqs_seed)`` builds the (111) slab (the pair validation's
    :func:`lithiophilic.workflows.li_pair_validation.pair_substrate`, passed in by the caller:
    this layer does not import workflows).  The substrate is relaxed with ``base`` (bottom
    plane fixed), then rattled by 0.02 Å.
    """
    from ase.optimize import BFGS

    if spec.substrate not in ("Cu", "CuZn"):
        msg = f"substrate: {spec.substrate!r} not allowed; choose Cu or CuZn"
        raise ConfigurationError(msg)
    rng = np.random.default_rng(spec.seed)
    slab = slab_factory(spec.substrate, seed=spec.sqs_seed)
    slab.calc = base
    BFGS(slab, logfile=None).run(fmax=0.05, steps=200)
    slab = slab.copy()
    slab.positions += rng.normal(0.0, 0.02, slab.positions.shape)
    planes = _planes_xy(slab)
    hollows = np.vstack([planes[2], planes[1]])  # fcc (above plane 3), hcp (above plane 2)
    centre = hollows[rng.integers(len(hollows))]
    dist = np.linalg.norm(_min_image(slab, hollows - centre), axis=1)
    chosen = hollows[np.argsort(dist)[: spec.n_sites]]
    shift = rng.normal(0.0, 0.25, chosen.shape) * (rng.random(len(chosen)) < 0.5)[:, None]
    top = float(slab.positions[:, 2].max())
    z = top + rng.uniform(1.75, 2.3, len(chosen))
    if spec.on_hollows:
        shift, z = 0.0 * shift, top + rng.uniform(1.85, 2.05, len(chosen))
    sites = np.column_stack([chosen + shift, z])
    return slab, sites, _subsets(slab, sites, spec, rng)


def _subsets(slab: Atoms, sites: np.ndarray, spec: CorrectionGroupSpec, rng: Any) -> list:
    n = len(sites)
    d = np.zeros((n, n))
    for i in range(n):
        d[i] = np.linalg.norm(
            np.column_stack(
                [_min_image(slab, sites[:, :2] - sites[i, :2]), sites[:, 2] - sites[i, 2]]
            ),
            axis=1,
        )
    ok = (d >= MIN_LI_LI_A) | np.eye(n, dtype=bool)
    pairs = [p for p in itertools.combinations(range(n), 2) if ok[p] and d[p] <= MAX_PAIR_A]
    pairs.sort(key=lambda p: d[p])
    pick = np.unique(np.linspace(0, len(pairs) - 1, min(spec.n_pairs, len(pairs))).astype(int))
    out: list[tuple[int, ...]] = [pairs[i] for i in pick]
    triples = [
        t
        for t in itertools.combinations(range(n), 3)
        if all(ok[a, b] for a, b in itertools.combinations(t, 2))
        and max(d[a, b] for a, b in itertools.combinations(t, 2))
        <= (3.0 if spec.on_hollows else 4.6)
    ]
    for i in rng.permutation(len(triples))[: spec.n_trimers]:
        out.append(triples[i])
    for _ in range(spec.n_clusters):
        size = int(rng.integers(4, 7))
        members = [int(rng.integers(n))]
        for j in rng.permutation(n):
            if len(members) == size:
                break
            if j not in members and all(ok[j, m] for m in members) and min(d[j, members]) < 3.2:
                members.append(int(j))
        if len(members) >= 4:
            out.append(tuple(sorted(members)))
    return out


def _with_li(slab: Atoms, sites: np.ndarray) -> Atoms:
    from ase import Atom

    a = slab.copy()
    a.set_constraint()
    for p in sites:
        a.append(Atom("Li", tuple(float(x) for x in p)))
    return a


def _label(atoms: Atoms, teacher: Calculator, base: Calculator) -> dict[str, Any]:
    from ase.calculators.calculator import all_changes

    out: dict[str, Any] = {}
    for key, calc in (("teacher", teacher), ("base", base)):
        calc.calculate(atoms.copy(), ["energy", "forces"], all_changes)
        out[f"energy_{key}_ev"] = float(calc.results["energy"])
        out[f"forces_{key}_ev_per_a"] = np.array(calc.results["forces"], dtype=float)
    return out


def label_group(
    spec: CorrectionGroupSpec,
    teacher: Calculator,
    base: Calculator,
    out_dir: str | Path,
    slab_factory: Callable[..., Atoms],
) -> Path:
    """Label a group (clean slab, every single Li, every subset) with teacher and base; save.

    Written to ``out_dir/<group>.npz`` (skipped when it exists: groups are restartable units).
    """
    out = Path(out_dir) / f"{spec.name}.npz"
    if out.is_file():
        return out
    t0 = time.perf_counter()
    slab, sites, subsets = make_group(spec, base, slab_factory)
    configs: list[tuple[int, ...]] = [(), *((i,) for i in range(len(sites))), *subsets]
    rows = [_label(_with_li(slab, sites[list(occ)]), teacher, base) for occ in configs]
    _save_group(out, slab, sites, configs, rows, time.perf_counter() - t0)
    logger.info(
        "%s: %d configurations in %.0f s", spec.name, len(configs), time.perf_counter() - t0
    )
    return out


def _save_group(
    out: Path,
    slab: Atoms,
    sites: np.ndarray,
    configs: Sequence[tuple[int, ...]],
    rows: Sequence[dict[str, Any]],
    time_s: float,
) -> None:
    """Write a labelled group (substrate, Li sites, subsets, teacher and base labels)."""
    np.savez_compressed(
        out,
        substrate_positions=slab.positions,
        substrate_numbers=slab.numbers,
        cell=np.asarray(slab.cell),
        sites=sites,
        occupations=np.array([",".join(map(str, o)) for o in configs], dtype=str),
        energy_teacher_ev=np.array([r["energy_teacher_ev"] for r in rows]),
        energy_base_ev=np.array([r["energy_base_ev"] for r in rows]),
        forces_teacher_ev_per_a=_padded([r["forces_teacher_ev_per_a"] for r in rows]),
        forces_base_ev_per_a=_padded([r["forces_base_ev_per_a"] for r in rows]),
        time_s=time_s,
    )


def _padded(forces: Sequence[np.ndarray]) -> np.ndarray:
    """Stack force arrays of different lengths, zero-padded to the longest."""
    n = max(len(f) for f in forces)
    return np.array([np.pad(f, ((0, n - len(f)), (0, 0))) for f in forces])


def read_group(path: str | Path) -> dict[str, Any]:
    """Load a labelled group written by :func:`label_group`."""
    with np.load(path, allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    data["occupations"] = [
        tuple(int(x) for x in s.split(",")) if s else () for s in data["occupations"]
    ]
    data["name"] = Path(path).stem
    return data


def interaction_residuals(group: dict[str, Any]) -> list[dict[str, Any]]:
    """Return, per subset of ≥ 2 Li, the structure and its exact interaction residuals.

    Each item: ``atoms`` (substrate + the subset's Li), ``occupation``, ``de_int_ev`` and
    ``df_int_ev_per_a`` (``(n_atoms, 3)``), see the module docstring.
    """
    from ase import Atoms

    occ = group["occupations"]
    index = {o: k for k, o in enumerate(occ)}
    n_sub = len(group["substrate_numbers"])
    de = group["energy_teacher_ev"] - group["energy_base_ev"]
    df = group["forces_teacher_ev_per_a"] - group["forces_base_ev_per_a"]
    clean = index[()]
    out = []
    for k, o in enumerate(occ):
        if len(o) < 2:
            continue
        e = de[k] - sum(de[index[(i,)]] for i in o) + (len(o) - 1) * de[clean]
        f = df[k, : n_sub + len(o)].copy()
        f[:n_sub] -= sum(df[index[(i,)], :n_sub] for i in o) - (len(o) - 1) * df[clean, :n_sub]
        for m, i in enumerate(o):
            f[n_sub + m] -= df[index[(i,)], n_sub]
        atoms = Atoms(
            numbers=[*group["substrate_numbers"], *([3] * len(o))],
            positions=np.vstack([group["substrate_positions"], group["sites"][list(o)]]),
            cell=group["cell"],
            pbc=True,
        )
        out.append({"atoms": atoms, "occupation": o, "de_int_ev": float(e), "df_int_ev_per_a": f})
    return out


def _li_only_configs(seed: int) -> list[Atoms]:
    """Li dimers (1.7–5 Å), Li clusters of 3–12 atoms and rattled bcc Li (3.3–3.6 Å) in boxes."""
    from ase import Atoms
    from ase.build import bulk

    from lithiophilic.potentials.distill.frames import _cluster_configs

    rng = np.random.default_rng(seed)
    out = []
    for r in np.linspace(1.7, 5.0, 9):
        dimer = Atoms("Li2", positions=[[0, 0, 0], [r, 0, 0]], cell=[14.0] * 3, pbc=True)
        dimer.center()
        out.append(dimer)
    out += [
        a
        for _, a in _cluster_configs(rng, 12)
        if len(a) > 2 and a.get_chemical_symbols()[0] == "Li"
    ]
    for a_a in (3.30, 3.40, 3.48, 3.58):
        b = bulk("Li", "bcc", a=a_a, cubic=True).repeat((2, 2, 2))
        b.positions += rng.normal(0, 0.06, b.positions.shape)
        out.append(b)
    return out


def label_li_only(
    teacher: Calculator, base: Calculator, out_dir: str | Path, seed: int = 11
) -> Path:
    """Label Li-only systems; their residual relative to n isolated Li is the interaction.

    ``ΔE_int = Δ(S) − n Δ(Li atom)``: the correction vanishes for one Li, so it must give
    exactly this (the EAM's gas-phase and bulk Li, fitted before, must not be spoiled by a
    correction that only saw Li on surfaces).  Written to ``out_dir/li-only-s<seed>.extxyz``.
    """
    from ase import Atoms
    from ase.io import write

    out = Path(out_dir) / f"li-only-s{seed}.extxyz"
    if out.is_file():
        return out
    atom = Atoms("Li", positions=[[7.0, 7.0, 7.0]], cell=[14.0] * 3, pbc=True)
    d_atom = _label(atom, teacher, base)
    e_atom = d_atom["energy_teacher_ev"] - d_atom["energy_base_ev"]
    frames = []
    for a in _li_only_configs(seed):
        d = _label(a, teacher, base)
        a = a.copy()
        a.info["de_int_ev"] = d["energy_teacher_ev"] - d["energy_base_ev"] - len(a) * e_atom
        a.arrays["df_int_ev_per_a"] = d["forces_teacher_ev_per_a"] - d["forces_base_ev_per_a"]
        frames.append(a)
    write(out, frames, format="extxyz")
    return out


def read_li_only(path: str | Path) -> list[dict[str, Any]]:
    """Return the items (as :func:`interaction_residuals`) of a :func:`label_li_only` file."""
    from ase.io import read

    items = []
    for a in read(path, index=":", format="extxyz"):
        items.append(
            {
                "atoms": a,
                "occupation": tuple(range(len(a))),
                "de_int_ev": float(a.info["de_int_ev"]),
                "df_int_ev_per_a": np.array(a.arrays["df_int_ev_per_a"]),
            }
        )
    return items


#: Heights (Å above the top substrate atom) a lifted Li is moved up by, in MD frame groups.
LIFT_RANGE_A = (0.4, 1.3)


@dataclass(frozen=True)
class MdFrameGroupSpec:
    """A group of MD frames: Li on a (111) slab after base-potential Langevin MD.

    Every frame is its own restartable unit (one ``.npz`` in the :func:`label_group` format):
    its substrate geometry (thermally displaced) with all its Li, the clean substrate, each
    single Li, and the closest Li pair and trimer of the frame.  In every other frame a
    fraction of the Li is lifted by 0.4–1.3 Å, so Li heights above the hollow (2.3–3.5 Å)
    are in the data.

    Parameters
    ----------
    substrate
        ``"Cu"`` or ``"CuZn"`` (random Cu0.64Zn0.36, as the stability runs).
    temperature_k
        Langevin temperature of the base-potential MD, K.
    seed
        Seed of the system (decoration, Li placement), the MD and the lifting.
    n_li, size
        Li on the slab and lateral repeats / layers of the slab.
    n_frames, time_ps
        Frames kept (evenly spread over the second half of the run) and run length, ps.
    lift_fraction
        Fraction of the Li lifted in the odd frames.
    """

    substrate: str
    temperature_k: float
    seed: int
    n_li: int = 6
    size: tuple[int, int, int] = (5, 5, 4)
    n_frames: int = 4
    time_ps: float = 4.0
    lift_fraction: float = 0.34

    @property
    def name(self) -> str:
        """Group label (prefix of its frame files)."""
        return f"md-{self.substrate}-{self.temperature_k:.0f}K-s{self.seed}"


def make_md_frames(spec: MdFrameGroupSpec, base_potential: Any) -> list[Atoms]:
    """Run the base-potential MD of ``spec`` in LAMMPS and return its frames (Li lifted in odd).

    ``base_potential`` is the :class:`~lithiophilic.potentials.lammps.LammpsPotential` of the
    base model (the one the correction is added to).
    """
    from lithiophilic.potentials.distill.stability import make_stability_system, run_stability

    if spec.substrate not in ("Cu", "CuZn"):
        msg = f"substrate: {spec.substrate!r} not allowed; choose Cu or CuZn"
        raise ConfigurationError(msg)
    atoms = make_stability_system(spec.substrate, size=spec.size, n_li=spec.n_li, seed=spec.seed)
    n_steps = round(spec.time_ps * 500)  # 2 fs steps
    every = max(1, n_steps // (2 * spec.n_frames))
    run = run_stability(
        atoms,
        base_potential,
        temperature_k=spec.temperature_k,
        time_ps=spec.time_ps,
        sample_every=every,
        seed=spec.seed,
    )
    if run["failure"]:
        msg = f"{spec.name}: base-potential MD failed ({run['failure']})"
        raise ConfigurationError(msg)
    frames = run["frames"][-spec.n_frames :]
    rng = np.random.default_rng(spec.seed + 1000)
    out = []
    for k, frame in enumerate(frames):
        frame = frame.copy()
        li = np.flatnonzero(frame.numbers == 3)
        if k % 2 == 1:
            n_up = max(1, round(spec.lift_fraction * len(li)))
            up = rng.choice(li, n_up, replace=False)
            frame.positions[up, 2] += rng.uniform(*LIFT_RANGE_A, n_up)
        out.append(frame)
    return out


def _frame_subsets(sites: np.ndarray, cell: np.ndarray) -> list[tuple[int, ...]]:
    """Return the whole Li set of a frame, its closest pair and its most compact trimer."""
    n = len(sites)
    probe = np.zeros((n, n))
    for i in range(n):
        d = sites - sites[i]
        frac = np.linalg.solve(cell[:2, :2].T, d[:, :2].T).T
        frac -= np.round(frac)
        probe[i] = np.linalg.norm(np.column_stack([frac @ cell[:2, :2], d[:, 2]]), axis=1)
    out: list[tuple[int, ...]] = [tuple(range(n))]
    if n > 2:
        out.append(min(itertools.combinations(range(n), 2), key=lambda p: probe[p]))
    if n > 3:
        out.append(
            min(
                itertools.combinations(range(n), 3),
                key=lambda t: max(probe[a, b] for a, b in itertools.combinations(t, 2)),
            )
        )
    return out


def label_md_group(
    spec: MdFrameGroupSpec,
    teacher: Calculator,
    base: Calculator,
    out_dir: str | Path,
    base_potential: Any,
) -> list[Path]:
    """Label the frames of an MD group (see :class:`MdFrameGroupSpec`); return their files.

    Frame ``k`` goes to ``out_dir/<group>-f<k>.npz``; frames already written are skipped, and
    the frames themselves are cached in ``out_dir/<group>.frames.extxyz``, so a restart resumes
    at the first missing frame without re-running the MD.
    """
    from ase.io import read, write

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cache = out / f"{spec.name}.frames.extxyz"
    if cache.is_file():
        frames = read(cache, index=":", format="extxyz")
    else:
        frames = make_md_frames(spec, base_potential)
        write(cache, frames, format="extxyz")
    paths = []
    for k, frame in enumerate(frames):
        path = out / f"{spec.name}-f{k}.npz"
        paths.append(path)
        if path.is_file():
            continue
        t0 = time.perf_counter()
        li = frame.numbers == 3
        slab = frame[~li]
        sites = frame.positions[li]
        subsets = _frame_subsets(sites, np.asarray(frame.cell))
        configs = [(), *((i,) for i in range(len(sites))), *subsets]
        rows = [_label(_with_li(slab, sites[list(o)]), teacher, base) for o in configs]
        _save_group(path, slab, sites, configs, rows, time.perf_counter() - t0)
        logger.info(
            "%s: %d configurations in %.0f s", path.stem, len(configs), time.perf_counter() - t0
        )
    return paths


def group_specs(quick: bool = False) -> list[CorrectionGroupSpec]:
    """Return the training groups: Cu (three patches), alloy SQS seeds 1–5 (seed 0 held out)."""
    specs = [
        CorrectionGroupSpec("Cu", sqs_seed=0, seed=1),
        CorrectionGroupSpec("CuZn", sqs_seed=1, seed=2),
        CorrectionGroupSpec("CuZn", sqs_seed=2, seed=3),
        CorrectionGroupSpec("Cu", sqs_seed=0, seed=4),
        CorrectionGroupSpec("CuZn", sqs_seed=3, seed=5),
        CorrectionGroupSpec("CuZn", sqs_seed=4, seed=6),
        CorrectionGroupSpec("Cu", sqs_seed=0, seed=7, on_hollows=True, n_sites=14),
        CorrectionGroupSpec("CuZn", sqs_seed=5, seed=8, on_hollows=True, n_sites=14),
        # alloy compact trimers on two more SQS (the held-out alloy trimer was the worst case)
        CorrectionGroupSpec(
            "CuZn",
            sqs_seed=6,
            seed=9,
            on_hollows=True,
            n_sites=12,
            n_pairs=6,
            n_trimers=16,
            n_clusters=2,
        ),
        CorrectionGroupSpec(
            "CuZn",
            sqs_seed=7,
            seed=10,
            on_hollows=True,
            n_sites=12,
            n_pairs=6,
            n_trimers=16,
            n_clusters=2,
        ),
    ]
    return specs[:2] if quick else specs


#: MD frame groups of the fit (base-potential MD at 600 and 300 K on both surfaces).
MD_TRAINING_GROUPS: tuple[MdFrameGroupSpec, ...] = (
    MdFrameGroupSpec("Cu", 600.0, seed=31),
    MdFrameGroupSpec("CuZn", 600.0, seed=32),
    MdFrameGroupSpec("Cu", 300.0, seed=33),
    MdFrameGroupSpec("CuZn", 300.0, seed=34),
    MdFrameGroupSpec("Cu", 600.0, seed=35, n_li=8),
    MdFrameGroupSpec("CuZn", 600.0, seed=36, n_li=8),
)
#: MD frame groups held out of every fit (the held-out MD check of the refit).
MD_HELD_OUT_GROUPS: tuple[MdFrameGroupSpec, ...] = (
    MdFrameGroupSpec("Cu", 600.0, seed=41, n_frames=3),
    MdFrameGroupSpec("CuZn", 600.0, seed=42, n_frames=3),
)


def specs_from_names(names: Sequence[str]) -> list[CorrectionGroupSpec]:
    """Return the :func:`group_specs` whose names are in ``names``."""
    return [s for s in group_specs() if s.name in set(names)]
