"""Stand-ins of the Vercel REST API and the Upstash Developer API, as far as adopting a live
project reads them (a team's project with its domains and variables, an account's databases) and
a production redeploy writes them (deployments, built to READY or to a failed state).

Requests and answers are held to the vendors' own OpenAPI documents (``tests.standins.openapi``);
answers are built from each schema's smallest valid value, then given the test's facts.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.standins.faults import Faults, VirtualClock
from tests.standins.openapi import ApiSpec, SpecViolationError, answer_schema, minimal


def _targets(env: dict[str, Any]) -> list[str]:
    target = env.get("target") or []
    return [target] if isinstance(target, str) else list(target)


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


@dataclass
class _Served:
    spec: ApiSpec
    broken_answers: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    # Misbehaviour to inject (tests.standins.faults), consulted at every request.
    faults: Faults | None = None

    def _serving(self, handler: Any) -> Any:
        def serve(request: Request) -> Response:
            return self.faults.around(handler)(request) if self.faults is not None else handler(request)

        return serve

    def _checked(self, request: Request, authorized: bool) -> Response | None:
        self.log.append(f"{request.method} {request.path}")
        if not authorized:
            return _json(401 if "vercel" not in self.spec.host_url else 403, {"error": {"message": "Not authorized"}})
        query = {key: request.args[key] for key in request.args}
        try:
            self.spec.check_request(
                request.method, request.path, query, dict(request.headers.items()), request.get_data()
            )
        except SpecViolationError as refusal:
            return _json(400, {"error": {"code": "bad_request", "message": str(refusal)}})
        return None

    def _answer(self, request: Request, body: Any) -> Response:
        query = {key: request.args[key] for key in request.args}
        try:
            self.spec.check_response(request.method, request.path, query, 200, body)
        except SpecViolationError as broken:
            self.broken_answers.append(str(broken))
        return _json(200, body)


@dataclass
class VercelTeamStandIn(_Served):
    token: str = ""
    team_id: str = ""
    # name -> {"id", "domains": [names], "envs": [{"id", "key", "target", "type", "value"?}], "fields": {...}}
    projects: dict[str, dict[str, Any]] = field(default_factory=dict)
    # id -> {"projectId", "target", "readyState", "redeployOf", "env"}; newest last. A deployment
    # keeps the production variables' values as they were when it was made (``env``), as Vercel's do.
    deployments: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The states a new deployment goes through, one per poll (ends READY, ERROR or CANCELED).
    build_states: list[str] = field(default_factory=lambda: ["QUEUED", "BUILDING", "READY"])
    # project id -> the deployment an Instant Rollback made serve production (getProject's
    # targets.production); without one, the newest READY production deployment serves, as on Vercel.
    rolled_back_to: dict[str, str] = field(default_factory=dict)

    def instant_rollback(self, project_id: str, deployment_id: str) -> None:
        """What the dashboard's Instant Rollback does: an older deployment serves production again."""
        self.rolled_back_to[project_id] = deployment_id

    def serving(self, project_id: str) -> str | None:
        """The deployment that serves the project's production domain now."""
        if project_id in self.rolled_back_to:
            return self.rolled_back_to[project_id]
        ready = [
            id_
            for id_, d in self.deployments.items()
            if d["projectId"] == project_id and d["target"] == "production" and d["readyState"] == "READY"
        ]
        return ready[-1] if ready else None

    def install(self, server: HTTPServer) -> str:
        server.expect_request(re.compile(r"^/v10/projects/[^/]+/promote/.*$")).respond_with_handler(
            self._serving(self.handle_promote)
        )
        server.expect_request(re.compile(r"^/v(9|10)/projects/.*$")).respond_with_handler(self._serving(self.handle))
        server.expect_request(re.compile(r"^/v(6|13)/deployments.*$")).respond_with_handler(
            self._serving(self.handle_deployments)
        )
        return server.url_for("/").rstrip("/")

    def handle_deployments(self, request: Request) -> Response:
        refused = self._checked(request, request.headers.get("Authorization") == f"Bearer {self.token}")
        if refused is not None:
            return refused
        if request.args.get("teamId") != self.team_id:
            return _json(403, {"error": {"code": "forbidden", "message": "Not authorized for this team"}})
        schema = self.spec._resolve(answer_schema(self.spec, request.method, request.path))
        if request.path == "/v6/deployments":
            item = minimal(self.spec, schema["properties"]["deployments"]["items"])
            project = self._project(request.args.get("projectId", ""))
            found = [
                {
                    **item,
                    "uid": id_,
                    "projectId": d["projectId"],
                    "target": d["target"],
                    "state": d["readyState"],
                    "readyState": d["readyState"],
                    **({"meta": d["meta"]} if d.get("meta") else {}),
                }
                for id_, d in reversed(self.deployments.items())
                if d["projectId"] in (request.args.get("projectId"), project and project["id"])
                and d["target"] == request.args.get("target", d["target"])
                and d["readyState"] == request.args.get("state", d["readyState"])
            ][: int(request.args.get("limit", "20"))]
            body = minimal(self.spec, schema)
            body["deployments"] = found
            return self._answer(request, body)
        if request.method == "POST":
            sent = json.loads(request.get_data())
            source = self.deployments.get(sent.get("deploymentId", ""))
            if source is None:
                return _json(404, {"error": {"code": "not_found", "message": "Deployment not found"}})
            id_ = f"dpl_{len(self.deployments) + 1}"
            target = sent.get("target", "preview")
            project = self._project(source["projectId"]) or {"envs": []}
            self.deployments[id_] = {
                "projectId": source["projectId"],
                "target": target,
                "readyState": self.build_states[0],
                "redeployOf": sent["deploymentId"],
                "polls": 0,
                **({"meta": sent["meta"]} if sent.get("meta") else {}),
                "env": {e["key"]: e.get("value", "") for e in project["envs"] if target in _targets(e)},
            }
            body = minimal(self.spec, schema)
            body.update(id=id_, readyState=self.build_states[0], projectId=source["projectId"], name=sent["name"])
            return self._answer(request, body)
        deployment = self.deployments.get(request.path.rsplit("/", 1)[1])
        if deployment is None:
            return _json(404, {"error": {"code": "not_found", "message": "Deployment not found"}})
        if "polls" in deployment:  # one of ours: a step further at every poll
            deployment["polls"] += 1
            deployment["readyState"] = self.build_states[min(deployment["polls"], len(self.build_states) - 1)]
        # getDeployment answers one of two shapes; the full one also matches the lean one, so the lean.
        lean = min(schema["oneOf"], key=lambda option: len(self.spec._resolve(option).get("required", [])))
        body = minimal(self.spec, lean)
        body.update(id=request.path.rsplit("/", 1)[1], readyState=deployment["readyState"])
        return self._answer(request, body)

    def handle_promote(self, request: Request) -> Response:
        """promoteDeployment: the deployment serves production (it also ends a rollback); 202, no body."""
        refused = self._checked(request, request.headers.get("Authorization") == f"Bearer {self.token}")
        if refused is not None:
            return refused
        match = re.fullmatch(r"/v10/projects/([^/]+)/promote/([^/]+)", request.path)
        project_id, deployment_id = (match[1], match[2]) if match else ("", "")
        deployment = self.deployments.get(deployment_id)
        if deployment is None or deployment["projectId"] != project_id or deployment["readyState"] != "READY":
            return _json(400, {"error": {"code": "bad_request", "message": "Deployment cannot be promoted"}})
        self.rolled_back_to[project_id] = deployment_id
        return Response("", status=202)

    def _target_schema(self, path: str) -> dict[str, Any]:
        project = self.spec._resolve(answer_schema(self.spec, "GET", path))
        return dict(self.spec._resolve(project["properties"]["targets"]["additionalProperties"]))

    def _project(self, id_or_name: str) -> dict[str, Any] | None:
        return next((p for n, p in self.projects.items() if id_or_name in (n, p["id"])), None)

    def handle(self, request: Request) -> Response:
        refused = self._checked(request, request.headers.get("Authorization") == f"Bearer {self.token}")
        if refused is not None:
            return refused
        if request.args.get("teamId") != self.team_id:
            return _json(403, {"error": {"code": "forbidden", "message": "Not authorized for this team"}})
        match = re.fullmatch(r"/v(?:9|10)/projects/([^/]+)(/domains|/env)?(?:/([^/]+))?", request.path)
        project = self._project(match[1]) if match else None
        if project is None or match is None:
            return _json(404, {"error": {"code": "not_found", "message": "Project not found"}})
        if request.method == "PATCH":
            env = next((e for e in project["envs"] if e["id"] == match[3]), None)
            if env is None:
                return _json(404, {"error": {"code": "not_found", "message": "Environment variable not found"}})
            env.update(json.loads(request.get_data()))
            # The document's answer is oneOf [a variable with its value, any object]: a full
            # variable matches both, so only an answer without the (sensitive) value is valid.
            body = {"id": env["id"], "key": env["key"], "target": env["target"], "type": env["type"]}
            return self._answer(request, body)
        name = next(n for n, p in self.projects.items() if p is project)
        if match[2] is None:
            body = minimal(self.spec, answer_schema(self.spec, "GET", request.path))
            body.update(id=project["id"], name=name, accountId=self.team_id, **project.get("fields", {}))
            serving = self.serving(project["id"])
            if serving is not None:
                target = minimal(self.spec, self._target_schema(request.path))
                deployment = self.deployments[serving]
                target.update(id=serving, readyState=deployment["readyState"], name=name)
                if deployment.get("meta"):
                    target["meta"] = deployment["meta"]
                body["targets"] = {"production": target}
            return self._answer(request, body)
        schema = self.spec._resolve(answer_schema(self.spec, "GET", request.path))
        if match[2] == "/domains":
            item = minimal(self.spec, schema.get("oneOf", [schema])[0]["properties"]["domains"]["items"])
            domains = [
                {**item, "name": d, "apexName": ".".join(d.split(".")[-2:]), "projectId": project["id"]}
                for d in project["domains"]
            ]
            body = minimal(self.spec, schema)
            body["domains"] = domains
            return self._answer(request, body)
        envs_option = next(o for o in schema["oneOf"] if o.get("required") == ["envs"])
        item = minimal(self.spec, envs_option["properties"]["envs"]["items"])
        envs = [{**item, **env, "value": ""} for env in project["envs"]]
        return self._answer(request, {"envs": envs})


@dataclass
class UpstashAccountStandIn(_Served):
    email: str = ""
    api_key: str = ""
    databases: list[dict[str, Any]] = field(default_factory=list)
    # A reset spreads: the old REST token still answers for this long (on ``clock``'s time).
    propagation_seconds: float = 0.0
    clock: VirtualClock | None = None
    # endpoint -> (the token a reset replaced, until when it still answers)
    retiring: dict[str, tuple[str, float]] = field(default_factory=dict)

    def install(self, server: HTTPServer) -> str:
        server.expect_request(re.compile(r"^/v2/redis/.*$")).respond_with_handler(self._serving(self.handle))
        return server.url_for("/v2").rstrip("/")

    def handle(self, request: Request) -> Response:
        expected = "Basic " + base64.b64encode(f"{self.email}:{self.api_key}".encode()).decode()
        refused = self._checked(request, request.headers.get("Authorization") == expected)
        if refused is not None:
            return refused
        schema = self.spec._resolve(answer_schema(self.spec, request.method, request.path))
        if request.path == "/v2/redis/databases":
            item = minimal(self.spec, schema["items"])
            return self._answer(request, [{**item, **database} for database in self.databases])
        database = next((d for d in self.databases if d["database_id"] == request.path.rsplit("/", 1)[1]), None)
        if database is None:
            return _json(404, {"error": "database not found"})
        if request.path.startswith("/v2/redis/reset-password/"):
            # The only password and REST token are replaced at once: the old ones stop working
            # (once the change has spread).
            now = self.clock.now if self.clock else 0.0
            self.retiring[str(database.get("endpoint"))] = (str(database["rest_token"]), now + self.propagation_seconds)
            database["password"] = secrets.token_hex(16)
            database["rest_token"] = "A" + secrets.token_urlsafe(30)
        return self._answer(request, {**minimal(self.spec, schema), **database})

    def rest_status(self, endpoint: str, authorization: str | None) -> int:
        """What a database's REST API answers a request with this Authorization header."""
        database = next((d for d in self.databases if d.get("endpoint") == endpoint), None)
        if database is None:
            return 404
        old, until = self.retiring.get(endpoint, ("", 0.0))
        spreading = self.clock is not None and self.clock.now < until and authorization == f"Bearer {old}"
        return 200 if authorization == f"Bearer {database.get('rest_token')}" or spreading else 401

    def install_rest(self, server: HTTPServer) -> str:
        """Each database's REST API, under /redis/<endpoint>/: the URL template for its endpoint."""

        def ping(request: Request) -> Response:
            endpoint = request.path.split("/")[2]
            status = self.rest_status(endpoint, request.headers.get("Authorization"))
            return _json(status, {"result": "PONG"} if status == 200 else {"error": "Unauthorized"})

        server.expect_request(re.compile(r"^/redis/[^/]+/ping$")).respond_with_handler(ping)
        return server.url_for("/redis/{endpoint}")
