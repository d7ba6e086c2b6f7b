"""Training data for distilled potentials: configuration families, teacher labelling, extxyz I/O.

Pure functions (no jobflow): :mod:`lithiophilic.workflows.training` wires them into a flow.

Every configuration is an ASE :class:`~ase.Atoms` whose ``info`` carries

``family``
    Configuration family (``bulk_cu``, ``slab_cu111_li``, ``md_cuzn111_li`` ...), used for
    per-family errors in the validation report.
``group``
    The unit that is held out as a whole: one teacher-MD run, or one independently generated
    static configuration.  Frames of one MD run never end up on both sides of a split.
``split``
    ``"train"`` or ``"test"`` (held-out).

Labels are the teacher's **raw** results (``calc.results``): ASE's ``get_forces`` zeroes the
forces on :class:`~ase.constraints.FixAtoms`-constrained atoms, which would teach the model
that the bottom of a slab feels no force.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from lithiophilic.errors import ConfigurationError
from lithiophilic.structures import min_distance_a

if TYPE_CHECKING:
    from ase import Atoms
    from ase.calculators.calculator import Calculator

__all__ = [
    "DEFAULT_ELEMENTS",
    "MD_FAMILIES",
    "STATIC_FAMILIES",
    "MdRunSpec",
    "check_training_frames",
    "dataset_hash",
    "label_atoms",
    "make_li_on_slab",
    "make_md_run_specs",
    "make_slab_111",
    "make_static_configs",
    "read_frames",
    "read_frames_files",
    "run_teacher_md",
    "split_frames",
    "write_frames",
]

logger = logging.getLogger(__name__)

#: Species of the distilled potential, in LAMMPS type order.
DEFAULT_ELEMENTS: tuple[str, ...] = ("Li", "Cu", "Zn")

#: Starting lattice constants (Å) of the generators; strains sample around them.
CU_FCC_A_A = 3.62
LI_BCC_A_A = 3.44
ZN_HCP_A_A, ZN_HCP_C_A = 2.66, 4.95
CUZN_FCC_A_A = 3.69
#: Zn fraction of the alpha-brass model.
ALPHA_BRASS_X_ZN = 0.36

STATIC_FAMILIES: tuple[str, ...] = (
    "bulk_cu",
    "bulk_li",
    "bulk_zn",
    "bulk_cuzn",
    "bulk_cu5zn8",
    "defects",
    "li_clusters",
    "slab_cu111_li",
    "slab_cuzn111_li",
    "li_pairs_111",
)
MD_FAMILIES: tuple[str, ...] = ("md_cu111_li", "md_cuzn111_li")

Split = Literal["train", "test"]

#: Generated configurations with two atoms closer than this (Å) are dropped.
MIN_DISTANCE_A = 1.7


def _tag(atoms: Atoms, family: str, group: str, split: Split) -> Atoms:
    atoms.info.update({"family": family, "group": group, "split": split})
    return atoms


def _rattle(atoms: Atoms, rng: np.random.Generator, stdev_a: float) -> Atoms:
    atoms.positions += rng.normal(0.0, stdev_a, atoms.positions.shape)
    return atoms


def _strain(atoms: Atoms, rng: np.random.Generator, max_strain: float) -> Atoms:
    eps = rng.uniform(-max_strain, max_strain, (3, 3))
    eps = 0.5 * (eps + eps.T)
    atoms.set_cell(atoms.cell.array @ (np.eye(3) + eps), scale_atoms=True)
    return atoms


def _random_substitute(atoms: Atoms, rng: np.random.Generator, element: str, x: float) -> Atoms:
    n = round(x * len(atoms))
    idx = rng.choice(len(atoms), size=n, replace=False)
    symbols = atoms.get_chemical_symbols()
    for i in idx:
        symbols[i] = element
    atoms.set_chemical_symbols(symbols)
    return atoms


def make_slab_111(
    substrate: Literal["Cu", "CuZn"],
    *,
    size: tuple[int, int, int] = (3, 3, 4),
    vacuum_a: float = 7.5,
    rng: np.random.Generator | None = None,
) -> Atoms:
    """Return an fcc(111) slab of Cu or of a random Cu0.64Zn0.36 solid solution.

    Parameters
    ----------
    substrate
        ``"Cu"`` (a = 3.62 Å) or ``"CuZn"`` (random alpha brass, x_Zn = 0.36, a = 3.69 Å).
    size
        Lateral repeats and number of layers.
    vacuum_a
        Vacuum on each side, Å.
    rng
        Random generator for the alloy decoration (required for ``"CuZn"``).
    """
    from ase.build import fcc111

    if substrate == "Cu":
        return fcc111("Cu", size=size, a=CU_FCC_A_A, vacuum=vacuum_a, orthogonal=False)
    if substrate == "CuZn":
        if rng is None:
            msg = "make_slab_111: substrate 'CuZn' needs an rng for the alloy decoration"
            raise ConfigurationError(msg)
        slab = fcc111("Cu", size=size, a=CUZN_FCC_A_A, vacuum=vacuum_a, orthogonal=False)
        return _random_substitute(slab, rng, "Zn", ALPHA_BRASS_X_ZN)
    msg = f"make_slab_111: substrate must be 'Cu' or 'CuZn', got {substrate!r}"
    raise ConfigurationError(msg)


def make_li_on_slab(
    slab: Atoms,
    n_li: int,
    rng: np.random.Generator,
    *,
    height_range_a: tuple[float, float] = (1.6, 2.6),
    min_li_li_a: float = 2.3,
    clustered: bool = False,
    max_tries: int = 2000,
) -> Atoms:
    """Return a copy of ``slab`` with ``n_li`` Li atoms at random lateral sites above the top layer.

    Parameters
    ----------
    slab
        Slab with its surface normal along z.
    n_li
        Number of Li atoms.
    rng
        Random generator.
    height_range_a
        Heights above the topmost atom, Å, sampled uniformly.
    min_li_li_a
        Minimum Li–Li distance (minimum image), Å.
    clustered
        Place the Li within 4 Å (lateral) of the first one, as a surface cluster.
    max_tries
        Attempts before giving up on placing an atom.

    Raises
    ------
    ConfigurationError
        If the atoms cannot be placed with the requested spacing.
    """
    from ase import Atom
    from ase.geometry import get_distances

    atoms = slab.copy()
    z_top = float(atoms.positions[:, 2].max())
    cell = atoms.cell.array
    placed: list[np.ndarray] = []
    for _ in range(n_li):
        for _ in range(max_tries):
            if clustered and placed:
                pos = placed[0] + np.r_[rng.uniform(-4.0, 4.0, 2), 0.0]
                pos[2] = z_top + rng.uniform(*height_range_a)
            else:
                frac = rng.uniform(0.0, 1.0, 2)
                pos = frac[0] * cell[0] + frac[1] * cell[1]
                pos[2] = z_top + rng.uniform(*height_range_a)
            if placed:
                _, d = get_distances(pos, np.array(placed), cell=cell, pbc=atoms.pbc)
                if d.min() < min_li_li_a:
                    continue
            placed.append(pos)
            break
        else:
            msg = f"make_li_on_slab: cannot place {n_li} Li at >= {min_li_li_a} Å spacing"
            raise ConfigurationError(msg)
    for pos in placed:
        atoms.append(Atom("Li", pos))
    return atoms


def _bulk_configs(rng: np.random.Generator, n: int) -> list[tuple[str, Atoms]]:
    from ase.build import bulk

    out: list[tuple[str, Atoms]] = []
    for i in range(n):
        scale = 1.0 + rng.uniform(-0.06, 0.06)
        cu = bulk("Cu", "fcc", a=CU_FCC_A_A * scale, cubic=True).repeat(2)
        out.append(("bulk_cu", _rattle(_strain(cu, rng, 0.03), rng, 0.03 + 0.1 * i / n)))
        li = bulk("Li", "bcc", a=LI_BCC_A_A * (1.0 + rng.uniform(-0.08, 0.06)), cubic=True)
        li = li.repeat(2)
        out.append(("bulk_li", _rattle(_strain(li, rng, 0.03), rng, 0.03 + 0.15 * i / n)))
        zn = bulk("Zn", "hcp", a=ZN_HCP_A_A * scale, c=ZN_HCP_C_A * scale).repeat((3, 3, 2))
        out.append(("bulk_zn", _rattle(_strain(zn, rng, 0.03), rng, 0.03 + 0.1 * i / n)))
        cuzn = bulk("Cu", "fcc", a=CUZN_FCC_A_A * scale, cubic=True).repeat(2)
        x_zn = (0.2, 0.36, 0.36, 0.5)[i % 4]
        cuzn = _random_substitute(cuzn, rng, "Zn", x_zn)
        out.append(("bulk_cuzn", _rattle(_strain(cuzn, rng, 0.03), rng, 0.03 + 0.1 * i / n)))
    return out


def _gamma_brass_configs(rng: np.random.Generator, n: int) -> list[tuple[str, Atoms]]:
    from lithiophilic.structures import make_gamma_brass

    out = []
    for _ in range(n):
        g = make_gamma_brass(a_a=8.87 * (1.0 + rng.uniform(-0.03, 0.03)))
        out.append(("bulk_cu5zn8", _rattle(g, rng, 0.06)))
    return out


def _cluster_configs(rng: np.random.Generator, n: int) -> list[tuple[str, Atoms]]:
    from ase import Atoms

    box = 14.0
    out: list[tuple[str, Atoms]] = []
    for r in np.linspace(1.9, 5.0, max(4, n // 2)):
        dimer = Atoms("Li2", positions=[[0, 0, 0], [r, 0, 0]], cell=[box] * 3, pbc=True)
        dimer.center()
        out.append(("li_clusters", dimer))
    for symbol in ("Li", "Cu", "Zn"):  # isolated atoms: the energy reference of E_ads
        out.append(
            ("li_clusters", Atoms(symbol, positions=[[box / 2] * 3], cell=[box] * 3, pbc=True))
        )
    for i in range(n):
        n_li = 3 + i % 10
        pts: list[np.ndarray] = [np.zeros(3)]
        while len(pts) < n_li:
            p = pts[rng.integers(len(pts))] + rng.normal(0.0, 1.0, 3) * 1.8
            d = np.linalg.norm(np.array(pts) - p, axis=1)
            if d.min() > 2.4 and d.min() < 3.4:
                pts.append(p)
        cl = Atoms(f"Li{n_li}", positions=np.array(pts), cell=[box] * 3, pbc=True)
        cl.center()
        out.append(("li_clusters", cl))
    return out


def _slab_configs(rng: np.random.Generator, n: int) -> list[tuple[str, Atoms]]:
    out: list[tuple[str, Atoms]] = []
    for substrate, family in (("Cu", "slab_cu111_li"), ("CuZn", "slab_cuzn111_li")):
        for i in range(n):
            slab = make_slab_111(substrate, rng=rng)  # type: ignore[arg-type]
            n_li = (0, 1, 1, 2, 3, 4, 5, 6)[i % 8]
            low = i % 5 == 4  # some Li pushed close to the surface: teaches the repulsion
            atoms = make_li_on_slab(
                slab,
                n_li,
                rng,
                height_range_a=(1.3, 1.8) if low else (1.5, 3.2),
                clustered=i % 3 == 2,
            )
            out.append((family, _rattle(atoms, rng, 0.03 + 0.08 * (i % 4) / 3)))
    return out


#: Li arrangements of the ``li_pairs_111`` family: fcc-hollow offsets on a 4x4 (111) cell
#: (a lone Li, a nearest-neighbour pair and a pair two hollows apart, a compact trimer and three
#: Li spread out).  Every slab sample carries all of them, so their energy differences are the
#: effective Li–Li interaction on that surface: the driving force of aggregation.
LI_PAIR_ARRANGEMENTS: dict[str, tuple[tuple[int, int], ...]] = {
    "li1": ((0, 0),),
    "pair": ((0, 0), (1, 0)),
    "apart": ((0, 0), (2, 2)),
    "trimer": ((0, 0), (1, 0), (0, 1)),
    "apart3": ((0, 0), (2, 0), (1, 2)),
}
#: Height of the Li above the top plane in ``li_pairs_111``, Å (SevenNet-0's hollow height).
LI_HOLLOW_HEIGHT_A = 2.0


def _li_pair_configs(rng: np.random.Generator, n: int) -> list[tuple[str, Atoms]]:
    from ase.build import add_adsorbate

    out: list[tuple[str, Atoms]] = []
    n_samples = max(2, n // 4)
    for substrate in ("Cu", "CuZn"):
        for sample in range(n_samples):
            slab = make_slab_111(substrate, size=(4, 4, 4), rng=rng)  # type: ignore[arg-type]
            for name, offsets in LI_PAIR_ARRANGEMENTS.items():
                atoms = slab.copy()
                for off in offsets:
                    add_adsorbate(atoms, "Li", LI_HOLLOW_HEIGHT_A, "fcc", offset=off)
                atoms = _rattle(atoms, rng, 0.02)
                atoms.info.update({"sample": f"{substrate}-{sample}", "arrangement": name})
                out.append(("li_pairs_111", atoms))
    return out


def _defect_configs(rng: np.random.Generator, n: int) -> list[tuple[str, Atoms]]:
    from ase import Atom
    from ase.build import bulk

    out: list[tuple[str, Atoms]] = []
    for i in range(n):
        kind = i % 4
        if kind == 0:  # bulk Cu vacancy
            a = bulk("Cu", "fcc", a=CU_FCC_A_A, cubic=True).repeat(2)
            del a[int(rng.integers(len(a)))]
        elif kind == 1:  # Zn substituted into Cu
            a = bulk("Cu", "fcc", a=CU_FCC_A_A, cubic=True).repeat(2)
            a[int(rng.integers(len(a)))].symbol = "Zn"
        else:  # Cu or Zn adatom (+ top-layer vacancy) on a (111) slab, optionally with Li
            substrate = "Cu" if i % 8 < 4 else "CuZn"
            a = make_slab_111(substrate, rng=rng)  # type: ignore[arg-type]
            top = np.flatnonzero(a.positions[:, 2] > a.positions[:, 2].max() - 0.5)
            ad = a.positions[top[0]].copy() + np.r_[1.27, 0.73, 2.05]
            a.append(Atom("Zn" if kind == 3 else "Cu", ad))
            del a[int(rng.choice(top[1:]))]
            a = make_li_on_slab(a, int(rng.integers(0, 3)), rng)
        out.append(("defects", _rattle(a, rng, 0.05)))
    return out


def make_static_configs(
    *,
    seed: int = 0,
    n_per_family: int = 12,
    test_fraction: float = 0.2,
    families: Sequence[str] | None = None,
) -> list[Atoms]:
    """Return unlabelled static configurations of every family, tagged and split.

    Families: rattled/strained bulk fcc Cu, bcc Li, hcp Zn and random fcc Cu–Zn (x_Zn 0.2–0.5);
    rattled gamma brass Cu5Zn8; vacancies, substitutions and Cu/Zn adatoms; Li dimers
    (1.9–5 Å), Li3–Li12 clusters and isolated Li, Cu, Zn atoms; Cu(111) and Cu0.64Zn0.36(111) slabs with 0–6 Li
    (dispersed or clustered, some pushed close to the surface); ``li_pairs_111``: 4x4x4 Cu(111)
    and Cu0.64Zn0.36(111) slabs each carrying every arrangement of
    :data:`LI_PAIR_ARRANGEMENTS` (one slab sample = one group, held out as a whole, so the
    held-out Li pairing energies can be computed).  Each other configuration is its own group; a
    deterministic ``test_fraction`` of each family is held out.

    Parameters
    ----------
    seed
        Random seed.
    n_per_family
        Configurations per family (dimers are added on top of the clusters).
    test_fraction
        Fraction of each family held out.
    families
        Subset of :data:`STATIC_FAMILIES`; ``None`` means all.

    Raises
    ------
    ConfigurationError
        For an unknown family or a test fraction outside [0, 0.5].
    """
    wanted = set(families or STATIC_FAMILIES)
    unknown = sorted(wanted - set(STATIC_FAMILIES))
    if unknown:
        msg = f"training families: unknown {unknown}; allowed: {list(STATIC_FAMILIES)}"
        raise ConfigurationError(msg)
    if not 0.0 <= test_fraction <= 0.5:
        msg = f"test_fraction must be in [0, 0.5], got {test_fraction}"
        raise ConfigurationError(msg)
    rng = np.random.default_rng(seed)
    pairs: list[tuple[str, Atoms]] = []
    pairs += _bulk_configs(rng, n_per_family)
    pairs += _gamma_brass_configs(rng, max(2, n_per_family // 4))
    pairs += _defect_configs(rng, n_per_family)
    pairs += _cluster_configs(rng, n_per_family)
    pairs += _slab_configs(rng, n_per_family)
    pairs += _li_pair_configs(rng, n_per_family)
    out: list[Atoms] = []
    counts: dict[str, int] = {}
    period = round(1.0 / test_fraction) if test_fraction > 0 else 0
    samples: dict[str, int] = {}  # li_pairs_111: a slab sample is held out as a whole
    for family, atoms in pairs:
        if "sample" in atoms.info:
            sample = atoms.info["sample"]
            k = samples.setdefault(sample, len(samples))
            split_s: Split = "test" if period and k % period == period - 1 else "train"
            out.append(_tag(atoms, family, f"{family}-s{seed}-{sample}", split_s))
            continue
        if family not in wanted:
            continue
        if len(atoms) > 1 and min_distance_a(atoms) < MIN_DISTANCE_A:
            logger.debug(
                "dropping a %s configuration with atoms closer than %s Å", family, MIN_DISTANCE_A
            )
            continue
        k = counts.get(family, 0)
        counts[family] = k + 1
        split: Split = "test" if period and k % period == period - 1 else "train"
        out.append(_tag(atoms, family, f"{family}-s{seed}-{k}", split))
    return out


@dataclass(frozen=True)
class MdRunSpec:
    """One teacher-MD run: Li on a (111) slab at a temperature (a held-out unit as a whole).

    Parameters
    ----------
    substrate
        ``"Cu"`` or ``"CuZn"``.
    n_li
        Li atoms placed dispersed on the top surface.
    temperature_k
        Langevin thermostat temperature, K.
    seed
        Random seed (slab decoration, Li placement, thermostat).
    split
        ``"train"`` or ``"test"``.
    """

    substrate: Literal["Cu", "CuZn"]
    n_li: int
    temperature_k: float
    seed: int
    split: Split = "train"

    @property
    def family(self) -> str:
        """Configuration family of the frames."""
        return "md_cu111_li" if self.substrate == "Cu" else "md_cuzn111_li"

    @property
    def group(self) -> str:
        """Group label shared by every frame of the run."""
        return f"{self.family}-{self.temperature_k:.0f}K-s{self.seed}"


def make_md_run_specs(
    temperatures_k: Sequence[float] = (300.0, 600.0), *, n_li: int = 4, seed: int = 0
) -> list[MdRunSpec]:
    """Return one training and one held-out teacher-MD run per surface and temperature."""
    specs = []
    for substrate in ("Cu", "CuZn"):
        for t in temperatures_k:
            for k, split in enumerate(("train", "test")):
                specs.append(
                    MdRunSpec(substrate, n_li, float(t), seed + 100 * k + int(t), split)  # type: ignore[arg-type]
                )
    return specs


def label_atoms(atoms: Atoms, calc: Calculator) -> Atoms:
    """Return a copy of ``atoms`` labelled with the calculator's raw energy, forces (and stress).

    The forces are taken from ``calc.results`` so constrained atoms keep their true forces.
    The label is attached as a :class:`~ase.calculators.singlepoint.SinglePointCalculator`.
    """
    from ase.calculators.calculator import all_changes

    work = atoms.copy()
    work.set_constraint()
    props = ["energy", "forces"] + (["stress"] if work.pbc.all() else [])
    calc.calculate(work, props, all_changes)
    return _attach(atoms, calc.results)


def _attach(atoms: Atoms, results: dict[str, Any]) -> Atoms:
    from ase.calculators.singlepoint import SinglePointCalculator

    out = atoms.copy()
    out.set_constraint()
    res = {
        "energy": float(results["energy"]),
        "forces": np.array(results["forces"], dtype=float).copy(),
    }
    if "stress" in results and out.pbc.all():
        res["stress"] = np.array(results["stress"], dtype=float).copy()
    out.calc = SinglePointCalculator(out, **res)
    return out


def run_teacher_md(
    spec: MdRunSpec,
    calc: Calculator,
    *,
    n_steps: int = 150,
    timestep_fs: float = 2.0,
    interval: int = 5,
    slab_size: tuple[int, int, int] = (3, 3, 4),
    n_fixed_layers: int = 2,
) -> list[Atoms]:
    """Run Langevin NVT with the teacher and return labelled snapshots (every ``interval`` steps).

    Parameters
    ----------
    spec
        The run (surface, number of Li, temperature, seed, split).
    calc
        Teacher calculator.
    n_steps, timestep_fs, interval
        Steps, time step (fs) and snapshot interval.
    slab_size
        Lateral repeats and layers of the slab.
    n_fixed_layers
        Bottom layers held fixed during the run (their raw forces are still labelled).
    """
    from ase import units
    from ase.constraints import FixAtoms
    from ase.md.langevin import Langevin
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution

    rng = np.random.default_rng(spec.seed)
    slab = make_slab_111(spec.substrate, size=slab_size, rng=rng)
    atoms = make_li_on_slab(slab, spec.n_li, rng)
    z = slab.positions[:, 2]
    layers = np.unique(np.round(z, 1))
    fixed = np.flatnonzero(z[: len(slab)] < layers[n_fixed_layers - 1] + 0.1)
    atoms.set_constraint(FixAtoms(indices=fixed))
    atoms.calc = calc
    MaxwellBoltzmannDistribution(atoms, temperature_K=spec.temperature_k, rng=rng)
    dyn = Langevin(
        atoms,
        timestep_fs * units.fs,
        temperature_K=spec.temperature_k,
        friction=0.02,
        rng=rng,
    )
    frames: list[Atoms] = []

    def snapshot() -> None:
        frame = _attach(atoms, calc.results)
        frames.append(_tag(frame, spec.family, spec.group, spec.split))

    dyn.attach(snapshot, interval=interval)
    dyn.run(n_steps)
    logger.info("teacher MD %s: %d frames", spec.group, len(frames))
    return frames


def check_training_frames(frames: Iterable[Atoms], elements: Sequence[str]) -> list[Atoms]:
    """Return ``frames`` as a list after checking every frame has energy, forces and known species.

    Raises
    ------
    ConfigurationError
        If a frame has no energy or forces, forces of the wrong shape, non-finite labels, or a
        species outside ``elements``, or if there are no frames.
    """
    out = list(frames)
    if not out:
        msg = "training data: no configurations"
        raise ConfigurationError(msg)
    for i, atoms in enumerate(out):
        unknown = sorted(set(atoms.get_chemical_symbols()) - set(elements))
        if unknown:
            msg = f"training data: frame {i} contains species {unknown}; the potential covers {list(elements)}"
            raise ConfigurationError(msg)
        results = atoms.calc.results if atoms.calc is not None else {}
        if "energy" not in results or "forces" not in results:
            msg = f"training data: frame {i} has no {'energy' if 'energy' not in results else 'forces'} label"
            raise ConfigurationError(msg)
        forces = np.asarray(results["forces"])
        if forces.shape != (len(atoms), 3):
            msg = f"training data: frame {i} forces have shape {forces.shape}, expected ({len(atoms)}, 3)"
            raise ConfigurationError(msg)
        if not (np.isfinite(forces).all() and np.isfinite(results["energy"])):
            msg = f"training data: frame {i} has non-finite energy or forces"
            raise ConfigurationError(msg)
    return out


def write_frames(frames: Iterable[Atoms], path: str | Path | io.StringIO) -> None:
    """Write labelled frames as extended XYZ (energy, forces, family/group/split in the header)."""
    from ase.io import write

    write(path, list(frames), format="extxyz")


def read_frames(path: str | Path) -> list[Atoms]:
    """Read labelled frames written by :func:`write_frames` (or any extxyz with energy/forces)."""
    from ase.io import read

    p = Path(path)
    if not p.is_file():
        msg = f"training data: file {p} does not exist"
        raise ConfigurationError(msg)
    return list(read(p, index=":", format="extxyz"))


def read_frames_files(paths: Iterable[str | Path]) -> list[Atoms]:
    """Read the labelled frames of several extxyz files, in order (see :func:`read_frames`)."""
    frames: list[Atoms] = []
    for path in paths:
        frames += read_frames(path)
    return frames


def frames_to_extxyz(frames: Iterable[Atoms]) -> str:
    """Return frames as an extxyz string (stored in the job database)."""
    buf = io.StringIO()
    write_frames(frames, buf)
    return buf.getvalue()


def frames_from_extxyz(text: str) -> list[Atoms]:
    """Parse an extxyz string written by :func:`frames_to_extxyz`."""
    from ase.io import read

    return list(read(io.StringIO(text), index=":", format="extxyz"))


def dataset_hash(frames: Iterable[Atoms]) -> str:
    """Return a 16-hex-digit hash of species, cells, positions and labels (rounded)."""
    h = hashlib.sha256()
    for atoms in frames:
        h.update(np.asarray(atoms.numbers, dtype=np.int64).tobytes())
        h.update(np.round(atoms.cell.array, 4).tobytes())
        h.update(np.round(atoms.positions, 4).tobytes())
        h.update(np.round(np.float64(atoms.calc.results["energy"]), 5).tobytes())
        h.update(np.round(atoms.calc.results["forces"], 4).tobytes())
    return h.hexdigest()[:16]


def split_frames(frames: Iterable[Atoms]) -> tuple[list[Atoms], list[Atoms]]:
    """Return (train, test) by each frame's ``info["split"]`` (missing means train)."""
    train: list[Atoms] = []
    test: list[Atoms] = []
    for a in frames:
        (test if a.info.get("split") == "test" else train).append(a)
    return train, test
