"""Every preview these tests run is judged by the running pack (tests/conftest.py) instead of
starting its own."""

from __future__ import annotations

import pytest

from preview import __main__ as preview_command
from preview.analyzer import PackProcess


@pytest.fixture(autouse=True)
def shared_pack(running_pack: PackProcess, monkeypatch: pytest.MonkeyPatch) -> None:
    original = preview_command.main

    def main(argv: list[str] | None = None, pack_stub: object = None) -> int:
        return original(argv, pack_stub=running_pack.stub)

    monkeypatch.setattr(preview_command, "main", main)
