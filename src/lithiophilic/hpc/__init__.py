"""HPC: Slurm submission, jobflow-remote projects and the submit logic shared by the CLI."""

from __future__ import annotations
