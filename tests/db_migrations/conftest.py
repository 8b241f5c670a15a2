"""Fixtures of the migration-runner tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from db_migrations import MIGRATIONS_DIR


@pytest.fixture
def migrations_copy(tmp_path: Path) -> Path:
    """A scratch copy of supabase/migrations that a test may add files to."""
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, directory)
    return directory
