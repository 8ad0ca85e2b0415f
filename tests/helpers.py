"""Shared by the tests: the project's root, the example scripts, and checks of the one-line error form."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
