"""One running policy pack for every preview these tests run (each would otherwise start its own:
a second Python importing the SDKs). The pack holds no state between previews: each one
configures it afresh, as the engine does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from preview import __main__ as preview_command
from preview.analyzer import PackProcess, launched_pack


@pytest.fixture(scope="session")
def running_pack() -> Iterator[PackProcess]:
    with launched_pack() as pack:
        yield pack


@pytest.fixture(autouse=True)
def shared_pack(running_pack: PackProcess, monkeypatch: pytest.MonkeyPatch) -> None:
    original = preview_command.main

    def main(argv: list[str] | None = None, pack_stub: object = None) -> int:
        return original(argv, pack_stub=running_pack.stub)

    monkeypatch.setattr(preview_command, "main", main)
