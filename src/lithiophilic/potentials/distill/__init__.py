"""Distilled LAMMPS potentials: frames, model families, fitting, validation, shipped models.

Teacher-labelled frames (``frames``), the EAM and POD families (``eam``, ``pod``, one interface in
``models``), fitting with active learning (``active_learning``), validation against the teacher
(``validation``) and the shipped potentials (``shipped``, files in ``data/``).
"""

from __future__ import annotations
