"""A skip fails the run unless it is listed; the committed list is empty."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT
from tests.skip_policy import allowed_skips


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one process", "xdist as make test runs"])
def test_an_unlisted_skip_fails_the_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, workers: list[str]
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makepyfile(test_probe="import pytest\n\ndef test_skips():\n    pytest.skip('no reason good enough')\n")
    result = pytester.runpytest_subprocess("-p", "tests.skip_policy", "-p", "no:cacheprovider", *workers)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["*skipped tests are failures here*", "test_probe.py::test_skips: *no reason good enough*"]
    )


def test_a_run_without_skips_passes(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makepyfile(test_probe="def test_runs():\n    assert True\n")
    result = pytester.runpytest_subprocess("-p", "tests.skip_policy", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK


def test_no_skip_is_allowed() -> None:
    assert allowed_skips() == set()
