"""Distil a LAMMPS potential (POD or EAM) from a teacher calculator, with active learning.

One round: fit the model (its family is given by the settings) and a small bootstrap committee on the training frames, run
LAMMPS Langevin MD of Li on Cu(111) and Cu0.64Zn0.36(111) slabs with the model, pick the
frames where the run failed (lost atoms, Li in the slab, atoms too close, temperature
blow-up) and the frames where the committee disagrees most on the forces, label them with
the teacher, add them to the training set, refit.  Every round is recorded.

Pure functions (no jobflow); the CLI calls :func:`distill` and
:mod:`lithiophilic.workflows.training` makes the teacher labelling a tracked flow.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lithiophilic.errors import ConfigurationError
from lithiophilic.potentials.distill.frames import (
    check_training_frames,
    label_atoms,
    read_frames,
    write_frames,
)
from lithiophilic.potentials.distill.models import ModelSettings, fit_model, load_fitted_potential
from lithiophilic.potentials.distill.pod import PodSettings, evaluate_potential
from lithiophilic.potentials.distill.stability import make_stability_system, run_stability
from lithiophilic.potentials.distill.validation import family_errors
from lithiophilic.structures import min_distance_a

if TYPE_CHECKING:
    from ase import Atoms
    from ase.calculators.calculator import Calculator

    from lithiophilic.potentials.lammps import LammpsPotential

__all__ = [
    "ActiveLearningSettings",
    "FittedPotential",
    "committee_disagreement",
    "distill",
    "fit_potential",
    "record_training_provenance",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ActiveLearningSettings:
    """Settings of the active-learning loop.

    Parameters
    ----------
    max_rounds
        Maximum number of MD/label/refit rounds after the initial fit.
    substrates
        Slab materials explored by MD (``"Cu"``, ``"CuZn"``).
    temperatures_k
        MD temperatures, K.
    slab_size
        Lateral repeats and layers of the exploration slab.
    n_li
        Li atoms on the exploration slab.
    time_ps, timestep_fs, sample_every
        Length of each exploration run, time step (fs) and sampling interval (steps).
    n_committee
        Bootstrap committee members besides the main model (0 = failures only).
    max_new_per_run
        Frames labelled per exploration run.
    force_std_threshold_ev_per_a
        Committee force disagreement above which a frame is worth labelling.
    seed
        Random seed.
    """

    max_rounds: int = 3
    substrates: tuple[str, ...] = ("Cu", "CuZn")
    temperatures_k: tuple[float, ...] = (300.0, 600.0)
    slab_size: tuple[int, int, int] = (6, 6, 5)
    n_li: int = 12
    time_ps: float = 4.0
    timestep_fs: float = 2.0
    sample_every: int = 25
    n_committee: int = 2
    max_new_per_run: int = 6
    force_std_threshold_ev_per_a: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.n_committee < 0 or self.max_new_per_run < 1 or self.n_li < 1:
            msg = (
                "--committee must be >= 0, --max-new-per-run and --md-n-li >= 1 (got "
                f"{self.n_committee}, {self.max_new_per_run}, {self.n_li})"
            )
            raise ConfigurationError(msg)

    @classmethod
    def for_time(cls, time_ps: float, **fields: Any) -> ActiveLearningSettings:
        """Return settings whose exploration runs last ``time_ps`` (sampled <= ~200 times each)."""
        timestep_fs = fields.get("timestep_fs", cls.timestep_fs)
        steps = round(time_ps * 1000.0 / timestep_fs)
        sample_every = max(cls.sample_every, steps // 200)
        return cls(time_ps=time_ps, **{"sample_every": sample_every, **fields})


def committee_disagreement(predictions: Sequence[Sequence[tuple[float, np.ndarray]]]) -> np.ndarray:
    """Return, per frame, the maximum over atoms of the committee's force standard deviation (eV/Å).

    ``predictions[m][i]`` is model ``m``'s ``(energy, forces)`` for frame ``i``.
    """
    n_frames = len(predictions[0])
    out = []
    for i in range(n_frames):
        stack = np.stack([np.asarray(p[i][1], dtype=float) for p in predictions])  # (m, n, 3)
        std = np.sqrt(np.sum(np.var(stack, axis=0), axis=1))
        out.append(float(std.max()))
    return np.array(out)


#: AL frames with two atoms closer than this (Å) are not labelled.
MIN_LABEL_DISTANCE_A = 1.5


def read_frames_if(path: Path) -> list[Atoms]:
    """Return the frames in ``path``, or an empty list if it does not exist."""
    return read_frames(path) if path.is_file() else []


def _prepare_frame(frame: Atoms) -> Atoms:
    a = frame.copy()
    a.pbc = True  # slab with vacuum: POD and the teacher see a periodic cell
    return a


class _LazyTeacher:
    """The teacher calculator, built on first use (a failing fit never loads it)."""

    def __init__(self, teacher: Calculator | Callable[[], Calculator]) -> None:
        self._teacher = teacher
        self._calc: Calculator | None = None

    def __call__(self) -> Calculator:
        if self._calc is None:
            teacher = self._teacher
            is_factory = callable(teacher) and not hasattr(teacher, "calculate")
            self._calc = teacher() if is_factory else teacher  # type: ignore[operator,assignment]
        return self._calc  # type: ignore[return-value]


def _fit_round(
    train: Sequence[Atoms],
    test: Sequence[Atoms],
    root: Path,
    k: int,
    *,
    elements: Sequence[str],
    settings: ModelSettings,
    al: ActiveLearningSettings,
    rng: np.random.Generator,
    provenance: dict[str, Any] | None,
) -> tuple[LammpsPotential, list[LammpsPotential], dict[str, Any]]:
    """Fit round ``k``'s model and its bootstrap committee; return them and the round record."""
    model_dir = root / f"round-{k}"
    if model_dir.exists():
        shutil.rmtree(model_dir)
    t0 = time.perf_counter()
    fit_model(
        train,
        model_dir,
        elements=elements,
        settings=settings,
        provenance={**(provenance or {}), "active_learning_round": k},
    )
    pot = load_fitted_potential(model_dir, name=f"round-{k}")
    record: dict[str, Any] = {
        "round": k,
        "n_train_configs": len(train),
        "n_train_atoms": int(sum(len(a) for a in train)),
        "fit_s": round(time.perf_counter() - t0, 1),
    }
    if test:
        record["test_errors"] = family_errors(test, evaluate_potential(pot, test))
    committee = []
    for m in range(al.n_committee):
        idx = rng.integers(0, len(train), len(train))
        cdir = root / f"round-{k}-committee-{m}"
        if cdir.exists():
            shutil.rmtree(cdir)
        fit_model([train[i] for i in idx], cdir, elements=elements, settings=settings)
        committee.append(load_fitted_potential(cdir, name=f"committee-{m}"))
    return pot, committee, record


def _pick_frames(
    res: dict[str, Any],
    frames: Sequence[Atoms],
    pot: LammpsPotential,
    committee: Sequence[LammpsPotential],
    al: ActiveLearningSettings,
) -> list[int]:
    """Return the frames of one exploration run worth labelling (failures, then disagreement).

    Adds the committee's force disagreement to ``res``.
    """
    picked: list[int] = []
    if res["failure"] or not res["stable"]:
        picked += list(range(max(0, len(frames) - 3), len(frames)))
    if committee and frames:
        preds = [evaluate_potential(p, frames) for p in [pot, *committee]]
        dis = committee_disagreement(preds)
        res["committee_force_std_max_ev_per_a"] = float(dis.max())
        res["committee_force_std_median_ev_per_a"] = float(np.median(dis))
        order = [int(i) for i in np.argsort(dis)[::-1] if dis[i] > al.force_std_threshold_ev_per_a]
        picked += [i for i in order if i not in picked]
    return picked


def _explore(
    pot: LammpsPotential,
    committee: Sequence[LammpsPotential],
    k: int,
    *,
    al: ActiveLearningSettings,
    rng: np.random.Generator,
    teacher: _LazyTeacher,
) -> tuple[list[dict[str, Any]], list[Atoms]]:
    """Run round ``k``'s exploration MD; return the run records and the newly labelled frames."""
    runs = []
    new: list[Atoms] = []
    for substrate in al.substrates:
        for t_k in al.temperatures_k:
            seed = int(rng.integers(1, 10_000))
            system = make_stability_system(substrate, size=al.slab_size, n_li=al.n_li, seed=seed)
            res = run_stability(
                system,
                pot,
                temperature_k=t_k,
                time_ps=al.time_ps,
                timestep_fs=al.timestep_fs,
                sample_every=al.sample_every,
                seed=seed,
            )
            frames = res.pop("frames")
            picked = _pick_frames(res, frames, pot, committee, al)
            picked = picked[: al.max_new_per_run] if k < al.max_rounds else []
            family = "al_cu111_li" if substrate == "Cu" else "al_cuzn111_li"
            # frames of a blown-up run with atoms closer than MIN_LABEL_DISTANCE_A are
            # beyond what the teacher itself describes; they are not labelled
            picked = [i for i in picked if min_distance_a(frames[i]) >= MIN_LABEL_DISTANCE_A]
            for i in picked:
                labelled = label_atoms(_prepare_frame(frames[i]), teacher())
                labelled.info.update(
                    {"family": family, "group": f"al-r{k}-{substrate}-{t_k:.0f}K", "split": "train"}
                )
                new.append(labelled)
            res.update({"substrate": substrate, "n_labelled": len(picked)})
            runs.append(res)
    return runs, new


def distill(
    train: Sequence[Atoms],
    test: Sequence[Atoms],
    teacher: Calculator | Callable[[], Calculator],
    out_root: str | Path,
    *,
    elements: Sequence[str],
    settings: ModelSettings | None = None,
    al: ActiveLearningSettings | None = None,
    provenance: dict[str, Any] | None = None,
    on_round: Callable[[dict[str, Any]], None] | None = None,
) -> tuple[Path, list[Atoms], list[dict[str, Any]]]:
    """Fit, explore with MD, label failures and uncertain frames, refit; return the last model.

    Parameters
    ----------
    train, test
        Teacher-labelled training and held-out frames (held out by whole MD run or group).
    teacher
        Calculator that labels the new frames (raw results, constraint-free), or a
        zero-argument factory called on first use (so a failing fit never loads the teacher).
    out_root
        Directory receiving ``round-K/`` model directories and ``rounds.json``.
    elements
        Species in LAMMPS type order.
    settings
        Model settings: :class:`~lithiophilic.potentials.distill.pod.PodSettings` (default) or
        :class:`~lithiophilic.potentials.distill.eam.EamSettings`.
    al
        Active-learning settings.
    provenance
        Extra metadata for each model's ``provenance.json``.
    on_round
        Called with each round's record (e.g. to log or store it).

    Returns
    -------
    tuple
        (directory of the last model, the final training frames, the round records).
    """
    settings = settings or PodSettings()
    al = al or ActiveLearningSettings()
    train = check_training_frames(train, elements)
    test = check_training_frames(test, elements) if test else []
    root = Path(out_root)
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(al.seed)
    rounds: list[dict[str, Any]] = []
    model_dir = root / "round-0"
    labeller = _LazyTeacher(teacher)
    for k in range(al.max_rounds + 1):
        model_dir = root / f"round-{k}"
        pot, committee, record = _fit_round(
            train,
            test,
            root,
            k,
            elements=elements,
            settings=settings,
            al=al,
            rng=rng,
            provenance=provenance,
        )
        runs, new = _explore(pot, committee, k, al=al, rng=rng, teacher=labeller)
        record["md_runs"] = runs
        if new:  # checkpoint: labelled frames survive an interrupted loop
            write_frames([*read_frames_if(root / "al_frames.xyz"), *new], root / "al_frames.xyz")
        record["n_new_frames"] = len(new)
        record["all_stable"] = all(r["stable"] for r in runs)
        rounds.append(record)
        if on_round is not None:
            on_round(record)
        (root / "rounds.json").write_text(json.dumps(rounds, indent=2, default=float) + "\n")
        logger.info(
            "active learning round %d: stable=%s, %d new frames", k, record["all_stable"], len(new)
        )
        if not new or k == al.max_rounds:
            break
        train = [*train, *new]
    if not rounds:
        msg = "active learning ran no round"
        raise ConfigurationError(msg)
    return model_dir, list(train), rounds


def settings_dict(settings: ModelSettings, al: ActiveLearningSettings) -> dict[str, Any]:
    """Return both settings objects as one JSON-serialisable dict."""
    family = "pod" if isinstance(settings, PodSettings) else "eam"
    return {family: asdict(settings), "active_learning": asdict(al)}


@dataclass(frozen=True)
class FittedPotential:
    """What :func:`fit_potential` produced.

    Parameters
    ----------
    model_dir
        Directory of the final model (``OUT/round-K``).
    rounds
        One record per active-learning round (held-out errors, MD runs, new frames).
    installed
        Where the model was installed as a shipped potential (``None``: not installed).
    """

    model_dir: Path
    rounds: list[dict[str, Any]]
    installed: Path | None = None


def fit_potential(
    data: Sequence[str | Path],
    out_dir: str | Path,
    *,
    teacher: str = "sevenn",
    settings: ModelSettings | None = None,
    al: ActiveLearningSettings | None = None,
    install: str | None = None,
) -> FittedPotential:
    """Fit a potential to teacher-labelled files with active learning; optionally install it.

    The frames are checked (energies, forces, species Li/Cu/Zn) and split by their
    ``split`` label into training and held-out sets; :func:`distill` runs the rounds; the
    final training set goes to ``OUT/train_final.xyz`` and the model's provenance records the
    data hash, the families and every round (:func:`record_training_provenance`).

    Parameters
    ----------
    data
        Teacher-labelled extxyz files (``lithiophilic potentials data --export``).
    out_dir
        Directory of the rounds' models.
    teacher
        Registry name of the calculator labelling new frames.
    settings
        Model family and settings (default POD, see :func:`~.models.model_settings_for`).
    al
        Active-learning settings.
    install
        Install the final model as this shipped potential (``licuzn-pod``, ``licuzn-eam``);
        the shipped files change only if the model loads in LAMMPS.

    Raises
    ------
    ConfigurationError
        For an unknown install target or teacher, or bad training frames (before any fit).
    CalculationFailed
        If a fit diverges (nothing is installed).
    """
    from lithiophilic.potentials import CalculatorSpec, calculator_provenance, get_calculator
    from lithiophilic.potentials.distill.frames import (
        DEFAULT_ELEMENTS,
        dataset_hash,
        read_frames_files,
        split_frames,
    )
    from lithiophilic.potentials.distill.models import install_potential
    from lithiophilic.potentials.distill.shipped import SHIPPED_POTENTIALS, shipped_potential_dir

    if install is not None and install not in SHIPPED_POTENTIALS:
        msg = f"--install: {install!r} is not a shipped potential; allowed: {sorted(SHIPPED_POTENTIALS)}"
        raise ConfigurationError(msg)
    frames = check_training_frames(read_frames_files(data), DEFAULT_ELEMENTS)
    train, test = split_frames(frames)
    spec = CalculatorSpec(teacher)
    prov = calculator_provenance(spec)
    provenance = {
        "teacher": {
            k: prov.get(k) for k in ("calculator_name", "calculator_version", "calculator_model")
        },
        "initial_data_hash": dataset_hash(frames),
        "initial_data_files": [str(p) for p in data],
        "n_initial_train": len(train),
        "n_test": len(test),
    }
    model_dir, final_train, records = distill(
        train,
        test,
        lambda: get_calculator(spec),
        out_dir,
        elements=DEFAULT_ELEMENTS,
        settings=settings,
        al=al,
        provenance=provenance,
    )
    write_frames(final_train, Path(out_dir) / "train_final.xyz")
    record_training_provenance(model_dir, final_train, records)
    installed = None
    if install:
        installed = install_potential(model_dir, shipped_potential_dir(install))
    return FittedPotential(model_dir=model_dir, rounds=records, installed=installed)


#: Per-run fields of an active-learning round kept in the model's provenance.
_PROVENANCE_RUN_KEYS = (
    "substrate",
    "temperature_k",
    "n_atoms",
    "time_ps",
    "stable",
    "failure",
    "committee_force_std_max_ev_per_a",
    "n_labelled",
)


def record_training_provenance(
    model_dir: str | Path, train: Sequence[Atoms], records: Sequence[dict[str, Any]]
) -> Path:
    """Add the final training set and the active-learning rounds to a model's provenance file.

    Writes ``train_data_hash``, ``train_families`` (frames per family), ``active_learning``
    (per round: training size, held-out errors, MD stability, new frames, the MD runs) and
    ``held_out_errors`` (of the last round). Returns the provenance file.
    """
    from lithiophilic.potentials.distill.frames import dataset_hash
    from lithiophilic.potentials.distill.pod import PROVENANCE_FILE

    path = Path(model_dir) / PROVENANCE_FILE
    prov = json.loads(path.read_text())
    prov["train_data_hash"] = dataset_hash(train)
    prov["train_families"] = {}
    for a in train:
        fam = a.info.get("family", "unknown")
        prov["train_families"][fam] = prov["train_families"].get(fam, 0) + 1
    prov["active_learning"] = [
        {
            "round": r["round"],
            "n_train_configs": r["n_train_configs"],
            "held_out_all": r.get("test_errors", {}).get("all"),
            "md_stable": r["all_stable"],
            "n_new_frames": r["n_new_frames"],
            "md_runs": [{k: m.get(k) for k in _PROVENANCE_RUN_KEYS} for m in r["md_runs"]],
        }
        for r in records
    ]
    if records and "test_errors" in records[-1]:
        prov["held_out_errors"] = records[-1]["test_errors"]
    path.write_text(json.dumps(prov, indent=2, sort_keys=True, default=float) + "\n")
    return path
