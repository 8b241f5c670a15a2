"""The Vercel client: one name for its token everywhere, and Vercel's epoch rate-limit reset read
from the header or, without it, from the body."""

from __future__ import annotations

import re

import httpx

from clients.vercel import VercelApi
from providers.vercel_redeploy import TOKEN_ENVIRONMENT
from tests.conftest import ROOT
from tests.standins.faults import VirtualClock


def test_every_command_reads_the_token_under_the_name_the_provider_reads() -> None:
    """`make adopt-plan`, drift, rotate, the docs and the workflows: VERCEL_API_TOKEN, never another."""
    places = [ROOT / "Makefile", *ROOT.glob("operations/**/*.py"), *ROOT.glob("clients/*.py"),
              *ROOT.glob("docs/**/*.md"), *ROOT.glob(".github/workflows/*.yml"), ROOT / "README.md"]  # fmt: skip
    names = {name for path in places for name in re.findall(r"\bVERCEL_[A-Z_]*TOKEN\b", path.read_text())}
    # The workflows map their read-only secret onto the one name.
    assert names - {"VERCEL_READ_TOKEN"} == {TOKEN_ENVIRONMENT}


def answer(headers: dict[str, str], body: bytes = b"") -> httpx.Response:
    return httpx.Response(429, headers=headers, content=body)


def test_the_reset_is_an_epoch_time_from_the_header_or_the_body() -> None:
    clock = VirtualClock()
    api = VercelApi("token", "team", clock=clock.clock())
    reset = int(clock.wall()) + 50
    assert api.rate_limit_wait(answer({"X-RateLimit-Reset": str(reset)})) == 50
    body = b'{"error": {"code": "rate_limited", "limit": {"remaining": 0, "reset": %d}}}' % reset
    assert api.rate_limit_wait(answer({}, body)) == 50
    assert api.rate_limit_wait(answer({"Retry-After": "7", "X-RateLimit-Reset": str(reset)})) == 7
    assert api.rate_limit_wait(answer({})) is None
