"""Relaxation trajectories kept on request: every ionic step's energy, positions, forces and cell.

An :class:`~lithiophilic.workflows.base.AseRelaxMaker` with ``keep_trajectory=True`` attaches a
:class:`TrajectoryRecorder` to its ASE optimizer; the steps go into the document's
``trajectory`` field, which jobflow moves to the additional ``data`` store. The trajectory
is output only: it is not part of the cache key, and a reused result carries the trajectory
of the job that computed it (if that job kept one).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from ase import Atoms

__all__ = ["FileTrajectory", "RelaxTrajectory", "TrajectoryRecorder", "attach_trajectory"]


class RelaxTrajectory(BaseModel):
    """Ionic steps of one relaxation, first (input) to last (final structure)."""

    n_frames: int = Field(description="Recorded steps (the input structure is frame 0).")
    numbers: list[int] = Field(description="Atomic numbers, in the order of the positions.")
    pbc: list[bool] = Field(description="Periodic directions.")
    energies_ev: list[float] = Field(description="Potential energy per step, eV.")
    positions_a: list[list[list[float]]] = Field(description="Cartesian positions per step, Å.")
    forces_ev_per_a: list[list[list[float]]] = Field(
        description="Forces per step, eV/Å, as the calculator returned them (fixed atoms included)."
    )
    cells_a: list[list[list[float]]] = Field(description="Cell vectors per step, Å.")

    def to_atoms(self) -> list[Atoms]:
        """Return one ASE ``Atoms`` per step, with its energy and forces attached."""
        from ase import Atoms
        from ase.calculators.singlepoint import SinglePointCalculator

        frames = []
        for energy, pos, forces, cell in zip(
            self.energies_ev, self.positions_a, self.forces_ev_per_a, self.cells_a, strict=True
        ):
            atoms = Atoms(numbers=self.numbers, positions=pos, cell=cell, pbc=self.pbc)
            atoms.calc = SinglePointCalculator(atoms, energy=energy, forces=np.asarray(forces))
            frames.append(atoms)
        return frames

    def write_extxyz(self, path: str | Path) -> Path:
        """Write the steps as an extxyz file (energy and forces per frame); return the path."""
        from ase.io import write

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path, self.to_atoms(), format="extxyz")
        return path

    @classmethod
    def from_doc(cls, doc: Any) -> RelaxTrajectory | None:
        """Return the trajectory of a stored relaxation document (loaded from the data store).

        ``None`` when the relaxation kept none. A ``ValueError`` is raised if the document
        still holds the data-store reference (query it with ``load=True``).
        """
        value = doc.get("trajectory") if isinstance(doc, Mapping) else doc.trajectory
        if value is None:
            return None
        if "blob_uuid" in value:
            msg = "trajectory: still a data-store reference; query the document with load=True"
            raise ValueError(msg)
        return cls.model_validate(value)


class TrajectoryRecorder:
    """Optimizer observer that records ``atoms`` at every step (from the calculator's cache)."""

    def __init__(self, atoms: Atoms) -> None:
        self.atoms = atoms
        self.energies: list[float] = []
        self.positions: list[np.ndarray] = []
        self.forces: list[np.ndarray] = []
        self.cells: list[np.ndarray] = []

    def __call__(self) -> None:
        """Record the current step (energy and forces are already computed by the optimizer)."""
        self.energies.append(float(self.atoms.get_potential_energy()))
        self.forces.append(np.array(self.atoms.get_forces(apply_constraint=False)))
        self.positions.append(self.atoms.get_positions())
        self.cells.append(np.array(self.atoms.cell))

    def as_dict(self) -> dict[str, Any]:
        """Return the recorded steps as a :class:`RelaxTrajectory` dict."""
        return RelaxTrajectory(
            n_frames=len(self.energies),
            numbers=[int(z) for z in self.atoms.numbers],
            pbc=[bool(p) for p in self.atoms.pbc],
            energies_ev=self.energies,
            positions_a=[p.tolist() for p in self.positions],
            forces_ev_per_a=[f.tolist() for f in self.forces],
            cells_a=[c.tolist() for c in self.cells],
        ).model_dump()


def attach_trajectory(optimizer: Any, atoms: Atoms) -> TrajectoryRecorder:
    """Attach a :class:`TrajectoryRecorder` of ``atoms`` to an ASE optimizer and return it."""
    recorder = TrajectoryRecorder(atoms)
    optimizer.attach(recorder, interval=1)
    return recorder


class FileTrajectory:
    """Steps of a relaxation that ran elsewhere, read from its ASE trajectory file.

    Used for a GPAW relaxation in one MPI launch; same ``as_dict`` as :class:`TrajectoryRecorder`.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def as_dict(self) -> dict[str, Any]:
        """Return the file's steps as a :class:`RelaxTrajectory` dict."""
        from ase.io import read

        frames = read(self.path, index=":")
        recorder = TrajectoryRecorder(frames[-1])
        for atoms in frames:
            recorder.energies.append(float(atoms.get_potential_energy()))
            recorder.forces.append(np.array(atoms.get_forces(apply_constraint=False)))
            recorder.positions.append(atoms.get_positions())
            recorder.cells.append(np.array(atoms.cell))
        return recorder.as_dict()
