"""Stand-ins of what a review environment calls: Supabase branching (branches, their action runs,
and each branch as a project: api-keys, auth config), Vercel's branch-scoped variables and
preview deployments, and Upstash's database create and delete.

Held to the vendors' own documents like the other stand-ins (``tests.standins.openapi``). A
branch's database is a real PostgreSQL 15 (the test's), reachable only as its session pooler
(``config/database/pooler``); the branch's direct host ``db.<ref>.supabase.co`` resolves nowhere,
as it has no IPv4 address on GitHub's runners.
A branch becomes usable after ``polls_until_ready`` readiness polls, or never when ``stuck``;
``lose_create_answer`` makes the next create act, then answer 500 (a lost reply).
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.standins.openapi import (
    SPECS_DIR,
    ApiSpec,
    SpecViolationError,
    answer_schema,
    judge,
    minimal,
    subset,
    supabase_management_spec,
)
from tests.standins.supabase_management import SupabaseProjectStandIn
from tests.standins.vendors import UpstashAccountStandIn, VercelTeamStandIn, _json, _targets

STEPS = ("clone", "pull", "health", "configure", "migrate", "seed", "deploy")
NOW = "2026-12-01T10:00:00Z"


@cache
def vercel_review_spec() -> ApiSpec:
    document = json.loads((SPECS_DIR / "vercel-rest-api.json").read_text())
    cut = subset(
        document,
        {
            "/v9/projects/{idOrName}": ["get"],
            "/v10/projects/{idOrName}/env": ["get", "post"],
            "/v9/projects/{idOrName}/env/{id}": ["patch", "delete"],
            "/v6/deployments": ["get"],
            "/v13/deployments": ["post"],
            "/v13/deployments/{idOrUrl}": ["get"],
        },
    )
    cut["servers"] = document["servers"]
    return ApiSpec(document=cut, openapi=judge(cut), host_url="https://api.vercel.com")


@dataclass
class Branch:
    name: str
    ref: str
    git_branch: str
    project: SupabaseProjectStandIn
    created_at: str = NOW
    polls: int = 0
    deletion_scheduled_at: str | None = None
    run_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class SupabaseBranchingStandIn:
    """The parent project's branching, each branch a project of its own."""

    parent_ref: str
    token: str
    database: dict[str, Any]
    spec: ApiSpec = field(default_factory=supabase_management_spec)
    branches: dict[str, Branch] = field(default_factory=dict)
    polls_until_ready: int = 3
    stuck: bool = False
    dead: bool = False  # the action run's migrate step dies
    lose_create_answer: bool = False
    log: list[str] = field(default_factory=list)
    broken_answers: list[str] = field(default_factory=list)

    def install(self, server: HTTPServer) -> str:
        server.expect_request(re.compile(r"^/v1/.*$")).respond_with_handler(self.handle)
        return server.url_for("/").rstrip("/")

    def _answer(self, request: Request, status: int, body: Any) -> Response:
        query = {key: request.args[key] for key in request.args}
        try:
            self.spec.check_response(request.method, request.path, query, status, body)
        except SpecViolationError as broken:
            self.broken_answers.append(str(broken))
        return _json(status, body)

    def _branch_body(self, branch: Branch) -> dict[str, Any]:
        return {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, branch.ref)),
            "name": branch.name,
            "project_ref": branch.ref,
            "parent_project_ref": self.parent_ref,
            "is_default": False,
            "git_branch": branch.git_branch,
            "persistent": False,
            "status": "CREATING_PROJECT",
            "created_at": branch.created_at,
            "updated_at": branch.created_at,
            "with_data": False,
            **({"deletion_scheduled_at": branch.deletion_scheduled_at} if branch.deletion_scheduled_at else {}),
        }

    def ready(self, branch: Branch) -> bool:
        return not self.stuck and branch.polls >= self.polls_until_ready

    def handle(self, request: Request) -> Response:
        self.log.append(f"{request.method} {request.path}")
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _json(401, {"message": "Unauthorized"})
        query = {key: request.args[key] for key in request.args}
        try:
            self.spec.check_request(
                request.method, request.path, query, dict(request.headers.items()), request.get_data()
            )
        except SpecViolationError as refusal:
            return _json(400, {"message": str(refusal)})
        if request.path == f"/v1/projects/{self.parent_ref}/branches":
            if request.method == "DELETE":
                return _json(500, {"message": "the stand-in refuses to disable branching"})
            if request.method == "GET":
                return self._answer(request, 200, [self._branch_body(b) for b in self.branches.values()])
            body = json.loads(request.get_data())
            live = [b for b in self.branches.values() if not b.deletion_scheduled_at]
            if any(b.name == body["branch_name"] for b in live):
                return _json(409, {"message": f"Branch {body['branch_name']} already exists"})
            ref = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(20))
            project = SupabaseProjectStandIn(self.spec, ref, self.token)
            project.api_keys = []  # a branch's keys: made by the stack
            branch = Branch(body["branch_name"], ref, body.get("git_branch", ""), project)
            self.branches[ref] = branch
            if self.lose_create_answer:
                self.lose_create_answer = False
                return _json(500, {"message": "Failed to create database branch"})
            return self._answer(request, 201, self._branch_body(branch))
        match = re.fullmatch(r"/v1/branches/([a-z]{20})", request.path)
        if match:
            found = self.branches.get(match[1])
            if found is None:
                return _json(404, {"message": "Branch not found"})
            if request.method == "DELETE":
                del self.branches[found.ref]
                return self._answer(request, 200, {"message": "ok"})
            return self._answer(request, 200, self._detail(found))
        match = re.fullmatch(r"/v1/projects/([a-z]{20})(/.*)", request.path)
        owner = self.branches.get(match[1]) if match else None
        if owner is None or match is None:
            return _json(404, {"message": "Project not found"})
        if match[2] == "/actions":
            owner.polls += 1  # each readiness poll starts here
            return self._answer(request, 200, [self._run(owner)])
        if match[2] == f"/actions/{owner.run_id}":
            return self._answer(request, 200, self._run(owner))
        if match[2] == "/config/database/pooler" and request.method == "GET":
            return self._answer(request, 200, [self._pooler(owner)])
        return owner.project.handle(request)

    def _detail(self, branch: Branch) -> dict[str, Any]:
        return {
            "ref": branch.ref,
            "postgres_version": "15.8",
            "postgres_engine": "15",
            "release_channel": "ga",
            "status": "ACTIVE_HEALTHY" if self.ready(branch) else "COMING_UP",
            "db_host": f"db.{branch.ref}.supabase.co",
            "db_port": 5432,
            "db_user": "postgres",
            "db_pass": self.database.get("db_pass", ""),
        }

    def _pooler(self, branch: Branch) -> dict[str, Any]:
        """The session pooler: the test's PostgreSQL (``database``), Supabase's user by default."""
        host, port = self.database["db_host"], int(self.database["db_port"])
        user = self.database.get("db_user", f"postgres.{branch.ref}")
        return {
            "identifier": branch.ref, "database_type": "PRIMARY", "is_using_scram_auth": True,
            "db_user": user, "db_host": host, "db_port": port, "db_name": "postgres",
            "connection_string": f"postgresql://{user}:[YOUR-PASSWORD]@{host}:{port}/postgres",
            "connectionString": f"postgresql://{user}:[YOUR-PASSWORD]@{host}:{port}/postgres",
            "default_pool_size": 15, "max_client_conn": 200, "pool_mode": "session",
        }  # fmt: skip

    def _run(self, branch: Branch) -> dict[str, Any]:
        done = self.ready(branch)
        steps = [
            {"name": s, "status": "EXITED" if done or i < 2 else "RUNNING", "created_at": NOW, "updated_at": NOW}
            for i, s in enumerate(STEPS)
        ]
        if self.dead:
            steps[STEPS.index("migrate")]["status"] = "DEAD"
        return {
            "id": branch.run_id,
            "branch_id": branch.ref,
            "run_steps": steps,
            "git_config": None,
            "workdir": None,
            "check_run_id": None,
            "created_at": NOW,
            "updated_at": NOW,
        }


@dataclass
class ReviewVercelStandIn(VercelTeamStandIn):
    """Adds to the team's stand-in: variables written (upsert) and removed, a branch's previews;
    ``lose_rebuild_answer`` makes the next rebuild start, then answer 502 (a lost reply)."""

    lose_rebuild_answer: bool = False

    def install(self, server: HTTPServer) -> str:
        server.expect_request(re.compile(r"^/v(9|10)/projects/.*$")).respond_with_handler(self.handle_review)
        server.expect_request(re.compile(r"^/v(6|13)/deployments.*$")).respond_with_handler(self.handle_previews)
        return server.url_for("/").rstrip("/")

    def variables(self, project_id: str) -> list[dict[str, Any]]:
        return list((self._project(project_id) or {"envs": []})["envs"])

    def handle_review(self, request: Request) -> Response:
        match = re.fullmatch(r"/v(?:9|10)/projects/([^/]+)/env(?:/([^/]+))?", request.path)
        if match is None or request.method not in ("POST", "DELETE"):
            return self.handle(request)
        refused = self._checked(request, request.headers.get("Authorization") == f"Bearer {self.token}")
        if refused is not None:
            return refused
        project = self._project(match[1])
        if project is None:
            return _json(404, {"error": {"code": "not_found", "message": "Project not found"}})
        if request.method == "DELETE":
            env = next((e for e in project["envs"] if e["id"] == match[2]), None)
            if env is None:
                return _json(404, {"error": {"code": "not_found", "message": "Environment variable not found"}})
            project["envs"].remove(env)
            removed = {"id": env["id"], "key": env["key"], "target": env["target"], "type": env["type"], "value": ""}
            return self._answer(request, [removed])
        sent = json.loads(request.get_data())
        same = [e for e in project["envs"] if e["key"] == sent["key"] and e.get("gitBranch") == sent.get("gitBranch")]
        if same and request.args.get("upsert") != "true":
            return _json(400, {"error": {"code": "ENV_CONFLICT", "message": "A variable with this key exists"}})
        env = same[0] if same else {"id": f"env_{secrets.token_hex(6)}"}
        env.update(sent)
        if not same:
            project["envs"].append(env)
        # A sensitive value is never answered back.
        value = "" if env["type"] == "sensitive" else env["value"]
        created = {"id": env["id"], "key": env["key"], "type": env["type"], "target": env["target"],
                   "gitBranch": env.get("gitBranch", ""), "value": value}  # fmt: skip
        body = {"created": created, "failed": []}
        query = {key: request.args[key] for key in request.args}
        try:
            self.spec.check_response(request.method, request.path, query, 201, body)
        except SpecViolationError as broken:
            self.broken_answers.append(str(broken))
        return _json(201, body)

    def handle_previews(self, request: Request) -> Response:
        if request.path == "/v6/deployments" and request.args.get("branch"):
            refused = self._checked(request, request.headers.get("Authorization") == f"Bearer {self.token}")
            if refused is not None:
                return refused
            schema = self.spec._resolve(answer_schema(self.spec, "GET", request.path))
            item = minimal(self.spec, schema["properties"]["deployments"]["items"])
            found = [
                {
                    **item,
                    "uid": id_,
                    "projectId": d["projectId"],
                    "meta": d.get("meta", {}),
                    "state": d["readyState"],
                    "readyState": d["readyState"],
                }
                for id_, d in reversed(self.deployments.items())
                if d["projectId"] == request.args.get("projectId")
                and d["target"] == "preview"
                and d.get("branch") == request.args["branch"]
            ]
            body = minimal(self.spec, schema)
            body["deployments"] = found
            return self._answer(request, body)
        answer = self.handle_deployments(request)
        if request.method == "POST" and answer.status_code == 200:
            sent = json.loads(request.get_data())
            made = self.deployments[json.loads(answer.get_data())["id"]]
            made["meta"] = dict(sent.get("meta") or {})
            made["branch"] = self.deployments[sent["deploymentId"]].get("branch")
            made["env"] = {
                e["key"]: e.get("value", "")
                for e in self.variables(made["projectId"])
                if "preview" in _targets(e) and e.get("gitBranch") in (None, made["branch"])
            }
            if self.lose_rebuild_answer:
                self.lose_rebuild_answer = False
                return _json(502, {"error": {"code": "bad_gateway", "message": "An error occurred"}})
        return answer


@dataclass
class ReviewUpstashStandIn(UpstashAccountStandIn):
    """Adds database create (once per call, like the real API) and delete; ``lose_create_answer``
    makes the next create act and answer 500."""

    lose_create_answer: bool = False

    def handle(self, request: Request) -> Response:
        if request.path == "/v2/redis/database" and request.method == "POST":
            refused = self._checked(request, self._authorized(request))
            if refused is not None:
                return refused
            sent = json.loads(request.get_data())
            database = {
                "database_id": str(uuid.uuid4()),
                "database_name": sent["database_name"],
                "endpoint": f"{sent['database_name']}-{secrets.token_hex(3)}.upstash.io",
                "rest_token": "A" + secrets.token_urlsafe(30),
                "password": secrets.token_hex(16),
                "eviction": sent.get("eviction", False),
                "budget": sent.get("budget"),
                "primary_region": sent.get("primary_region"),
                "creation_time": 1796119200,
            }
            self.databases.append(database)
            if self.lose_create_answer:
                self.lose_create_answer = False
                return _json(500, {"error": "internal error"})
            schema = self.spec._resolve(answer_schema(self.spec, "POST", request.path))
            return self._answer(request, {**minimal(self.spec, schema), **database})
        if request.method == "DELETE":
            refused = self._checked(request, self._authorized(request))
            if refused is not None:
                return refused
            found = next((d for d in self.databases if d["database_id"] == request.path.rsplit("/", 1)[1]), None)
            if found is None:
                return _json(404, {"error": "database not found"})
            self.databases.remove(found)
            return self._answer(request, "OK")
        return super().handle(request)

    def _authorized(self, request: Request) -> bool:
        import base64  # noqa: PLC0415

        expected = "Basic " + base64.b64encode(f"{self.email}:{self.api_key}".encode()).decode()
        return request.headers.get("Authorization") == expected
