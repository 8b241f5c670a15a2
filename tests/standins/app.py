"""A stand-in of the NewCool app as Vercel serves it: ``/api/health`` answers from the production
deployment that serves the domain, with the variable values that deployment was built with.

Each check says whether a variable's value still opens its service (a Supabase key the project
knows, an Upstash token the database takes), so a credential revoked under a running deployment
fails its health as it would in production.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.standins.vendors import VercelTeamStandIn


@dataclass
class AppStandIn:
    vercel: VercelTeamStandIn
    project_id: str
    checks: dict[str, Callable[[str], bool]] = field(default_factory=dict)

    def serving(self) -> str | None:
        """The production deployment the domain points at: the newest READY one, or the one an
        Instant Rollback or a promote made serve (``VercelTeamStandIn.serving``)."""
        return self.vercel.serving(self.project_id)

    def health(self, _request: Request) -> Response:
        deployment = self.serving()
        env = self.vercel.deployments[deployment].get("env", {}) if deployment else {}
        failing = sorted(key for key, opens in self.checks.items() if not opens(env.get(key, "")))
        status = 200 if deployment and not failing else 503
        body = {"status": "ok"} if status == 200 else {"status": "down", "failing": failing}
        return Response(json.dumps(body), status=status, content_type="application/json")

    def install(self, server: HTTPServer) -> str:
        server.expect_request("/api/health").respond_with_handler(self.health)
        return server.url_for("/").rstrip("/")
