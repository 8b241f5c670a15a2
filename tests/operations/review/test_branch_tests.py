"""The branch tests' command: a pg_prove that never finishes is one line and exit 2, never a
traceback, and never shows the branch's URL or password."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from operations.review import branch_tests

URL = "postgresql://postgres.abcdefghijklmnopqrst:s3cret-pw@aws-0-us-east-2.pooler.supabase.com:5432/postgres"


class _Session:
    def execute(self, _sql: str) -> None:
        return None


def test_a_pg_prove_past_its_timeout_is_one_line_without_the_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    @contextlib.contextmanager
    def connected(_url: str) -> Iterator[_Session]:
        yield _Session()

    def hung(args: list[str], **kwargs: Any) -> None:
        raise subprocess.TimeoutExpired(args, kwargs["timeout"])

    monkeypatch.setattr(branch_tests, "connect", connected)
    monkeypatch.setattr(shutil, "which", lambda _name: "/usr/bin/pg_prove")
    monkeypatch.setattr(subprocess, "run", hung)
    assert branch_tests.main({"BRANCH_DATABASE_URL": URL}) == 2
    captured = capsys.readouterr()
    assert captured.err == (
        "cannot test the branch: pg_prove did not finish within 300 s (host aws-0-us-east-2.pooler.supabase.com)\n"
    )
    assert "s3cret" not in captured.out + captured.err
