"""A stand-in of the Supabase Management API for one live project, on a local HTTP server.

It holds the project's settings as Supabase answers them (a new project's defaults), refuses
what the API document refuses (``tests.standins.openapi``), answers only what the document
allows, returns secrets hashed as the real API does, and can be told to answer 429 or 5xx to
exercise retries. Every request is logged (method, path, query, body) for the tests to read.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.standins.faults import Faults
from tests.standins.openapi import ApiSpec, SpecViolationError

HASHED_FIELDS = ("smtp_pass", "security_captcha_secret")


@dataclass
class LoggedRequest:
    method: str
    path: str
    query: dict[str, str]
    body: Any


def _defaults(spec: ApiSpec, schema_name: str) -> dict[str, Any]:
    """Every required field of a response schema, with a neutral value of its type."""
    schema = spec.document["components"]["schemas"][schema_name]
    values: dict[str, Any] = {}
    for name in schema.get("required", []):
        prop = schema["properties"][name]
        if "enum" in prop:
            # A nullable enum without null among its values: openapi-core (rightly, for 3.0)
            # accepts only the listed values.
            values[name] = prop["enum"][0]
        elif prop.get("nullable"):
            values[name] = None
        else:
            neutral = {"string": "", "integer": 0, "number": 0, "boolean": False, "array": [], "object": {}}
            values[name] = neutral.get(prop.get("type", "string"))
    return values


@dataclass
class SupabaseProjectStandIn:
    spec: ApiSpec
    ref: str
    token: str
    auth: dict[str, Any] = field(default_factory=dict)
    postgrest: dict[str, Any] = field(default_factory=dict)
    network: dict[str, list[str]] = field(
        default_factory=lambda: {"dbAllowedCidrs": ["0.0.0.0/0"], "dbAllowedCidrsV6": ["::/0"]}
    )
    ssl_enforced: bool = False
    legacy_keys_enabled: bool = True
    api_keys: list[dict[str, Any]] = field(default_factory=list)
    log: list[LoggedRequest] = field(default_factory=list)
    pending_reads: int = 0
    # The organization that owns the project, and its plan.
    organization_slug: str = "newcool"
    plan: str = "pro"
    # The PITR add-on's variant, or None (the plan's daily backups only).
    pitr: str | None = None
    # Statuses to answer before handling the next requests (429, 500, ...).
    fail_next: list[int] = field(default_factory=list)
    # As the real API: network restrictions are `stored`, then `applied` after this many reads;
    # the database answers COMING_UP for this many health checks after SSL enforcement changes.
    reads_until_applied: int = 2
    health_checks_while_restarting: int = 2
    network_status: str = "applied"
    restarting_for: int = 0
    # Errors in the project's logs by source table, as logs.all counts them for the query's window
    # ({"postgres_logs": 3, "auth_logs": 1}); a string is the query error the endpoint answers.
    log_errors: dict[str, int] = field(default_factory=dict)
    logs_error: str | None = None
    # Answers that broke the document (must stay empty).
    broken_answers: list[str] = field(default_factory=list)
    # Misbehaviour to inject (tests.standins.faults), consulted at every request.
    faults: Faults | None = None

    def __post_init__(self) -> None:
        # A project as Supabase makes it: permissive where the checklist asks for more.
        self.auth = {
            **_defaults(self.spec, "AuthConfigResponse"),
            "site_url": "http://localhost:3000",
            "uri_allow_list": "",
            "mailer_autoconfirm": False,
            "password_min_length": 6,
            "password_required_characters": "",
            "password_hibp_enabled": False,
            "mailer_otp_exp": 3600,
            "jwt_exp": 3600,
            "refresh_token_rotation_enabled": True,
            "security_refresh_token_reuse_interval": 10,
            "smtp_pass": None,
        }
        self.postgrest = {
            "db_schema": "public,storage,graphql_public",
            "max_rows": 1000,
            "db_extra_search_path": "public,extensions",
            "db_pool": None,
        }
        self.api_keys = [self._key("legacy", "anon"), self._key("legacy", "service_role")]

    def _key(self, kind: str, name: str, description: str | None = None) -> dict[str, Any]:
        prefix = {"publishable": "sb_publishable_", "secret": "sb_secret_"}.get(kind, "eyJ")
        return {
            "id": str(uuid.uuid4()),
            "type": kind,
            "name": name,
            "prefix": prefix,
            "api_key": prefix + secrets.token_urlsafe(24),
            "description": description,
        }

    def install(self, server: HTTPServer) -> str:
        def serve(request: Request) -> Response:
            return self.faults.around(self.handle)(request) if self.faults is not None else self.handle(request)

        server.expect_request(re.compile(r"^/v1/.*$")).respond_with_handler(serve)
        return server.url_for("/").rstrip("/")

    def key_opens_project(self, api_key: str) -> bool:
        return any(k["api_key"] == api_key for k in self.api_keys)

    def install_project_api(self, server: HTTPServer) -> str:
        """The project's own URL as far as a canary reads it: the gateway refuses an unknown key."""

        def settings(request: Request) -> Response:
            if self.key_opens_project(request.headers.get("apikey", "")):
                return self._json(200, {"external": {"email": True}, "disable_signup": False})
            return self._json(401, {"message": "Invalid API key"})

        server.expect_request("/auth/v1/settings").respond_with_handler(settings)
        return server.url_for("/").rstrip("/")

    # --- HTTP ------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        query = {key: request.args[key] for key in request.args}
        body_bytes = request.get_data()
        body = json.loads(body_bytes) if body_bytes else None
        self.log.append(LoggedRequest(request.method, request.path, query, body))
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return self._json(401, {"message": "Unauthorized"})
        if self.fail_next:
            status = self.fail_next.pop(0)
            return self._json(
                status, {"message": "Too many requests" if status == 429 else "Internal error"}, {"Retry-After": "0"}
            )
        headers = {key: value for key, value in request.headers.items()}
        try:
            self.spec.check_request(request.method, request.path, query, headers, body_bytes)
        except SpecViolationError as refusal:
            return self._json(400, {"message": str(refusal)})
        if request.path == f"/v1/organizations/{self.organization_slug}":
            return self._checked(request.method, request.path, query, 200, self._organization())
        if request.path == f"/v1/projects/{self.ref}":
            return self._checked(request.method, request.path, query, 200, self._project())
        if not request.path.startswith(f"/v1/projects/{self.ref}/"):
            return self._json(404, {"message": "Project not found"})
        status, answer = self._route(request.method, request.path.removeprefix(f"/v1/projects/{self.ref}"), query, body)
        if 200 <= status < 300:
            try:
                self.spec.check_response(request.method, request.path, query, status, answer)
            except SpecViolationError as broken:
                self.broken_answers.append(str(broken))
        return self._json(status, answer)

    def _checked(self, method: str, path: str, query: dict[str, str], status: int, answer: Any) -> Response:
        try:
            self.spec.check_response(method, path, query, status, answer)
        except SpecViolationError as broken:
            self.broken_answers.append(str(broken))
        return self._json(status, answer)

    def _logs_answer(self, query: dict[str, str]) -> dict[str, Any]:
        """logs.all: the count of the one source table the SQL reads, over at most 24 hours."""
        if self.logs_error is not None:
            return {"error": self.logs_error}
        sql = query.get("sql", "")
        tables = [table for table in ("postgres_logs", "auth_logs", "edge_logs") if table in sql]
        if len(tables) != 1 or "count(*)" not in sql:
            return {"error": "the stand-in answers one count(*) over one source table"}
        return {"result": [{"errors": self.log_errors.get(tables[0], 0)}]}

    def _project(self) -> dict[str, Any]:
        return {
            **_defaults(self.spec, "V1ProjectWithDatabaseResponse"),
            "ref": self.ref,
            "organization_slug": self.organization_slug,
            "name": "newcool",
            "database": {"host": f"db.{self.ref}.supabase.co", "version": "15.8", "postgres_engine": "15",
                         "release_channel": "ga"},
        }  # fmt: skip

    def _organization(self) -> dict[str, Any]:
        return {**_defaults(self.spec, "V1OrganizationSlugResponse"), "name": "NewCool", "plan": self.plan}

    @staticmethod
    def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
        return Response(json.dumps(body), status=status, content_type="application/json", headers=headers)

    def _route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        reveal = query.get("reveal") == "true"
        if path == "/analytics/endpoints/logs.all":
            return 200, self._logs_answer(query)
        if path == "/config/auth":
            if method == "PATCH":
                for name, value in body.items():
                    self.auth[name] = (
                        f"hash:{hashlib.sha256(str(value).encode()).hexdigest()}"
                        if name in HASHED_FIELDS and value
                        else value
                    )
            return 200, self.auth
        if path == "/postgrest":
            if method == "PATCH":
                self.postgrest.update(body)
            return 200, {**self.postgrest, **({"jwt_secret": "hash:jwt"} if method == "GET" else {})}
        if path == "/network-restrictions" and method == "GET":
            if self.network_status == "stored":
                self.pending_reads -= 1
                if self.pending_reads <= 0:
                    self.network_status = "applied"
            return 200, {"entitlement": "allowed", "config": self.network, "status": self.network_status}
        if path == "/health":
            status = "COMING_UP" if self.restarting_for > 0 else "ACTIVE_HEALTHY"
            self.restarting_for = max(0, self.restarting_for - 1)
            return 200, [{"name": "db", "healthy": status == "ACTIVE_HEALTHY", "status": status}]
        if path == "/network-restrictions/apply":
            old = dict(self.network)
            self.network = {
                "dbAllowedCidrs": list(body.get("dbAllowedCidrs", [])),
                "dbAllowedCidrsV6": list(body.get("dbAllowedCidrsV6", [])),
            }
            self.network_status, self.pending_reads = "stored", self.reads_until_applied
            return 201, {"entitlement": "allowed", "config": self.network, "old_config": old, "status": "stored"}
        if path == "/ssl-enforcement":
            if method == "PUT":
                if self.ssl_enforced != bool(body["requestedConfig"]["database"]):
                    self.restarting_for = self.health_checks_while_restarting  # the database restarts
                self.ssl_enforced = bool(body["requestedConfig"]["database"])
            return 200, {"currentConfig": {"database": self.ssl_enforced}, "appliedSuccessfully": True}
        if path == "/api-keys/legacy":
            if method == "PUT":
                self.legacy_keys_enabled = query["enabled"] == "true"
            return 200, {"enabled": self.legacy_keys_enabled}
        if path == "/api-keys":
            if method == "POST":
                if any(k["name"] == body["name"] for k in self.api_keys):
                    return 409, {"message": f"An API key named {body['name']} already exists"}
                created = self._key(body["type"], body["name"], body.get("description"))
                self.api_keys.append(created)
                return 201, self._shown(created, reveal)
            return 200, [self._shown(k, reveal) for k in self.api_keys]
        match = re.fullmatch(r"/api-keys/([^/]+)", path)
        if match:
            key = next((k for k in self.api_keys if k["id"] == match[1]), None)
            if key is None:
                return 404, {"message": "API key not found"}
            if method == "DELETE":
                self.api_keys.remove(key)
            if method == "PATCH":
                key.update(body)
            return 200, self._shown(key, reveal)
        if path == "/billing/addons":
            if method == "PATCH":
                if body["addon_type"] == "pitr" and self.plan == "free":
                    return 400, {"message": "Point in time recovery requires the Pro plan or above"}
                self.pitr = body["addon_variant"]
                return 200, None
            selected = []
            if self.pitr:
                days = self.pitr.split("_")[1]
                price = {
                    "description": f"${int(days) // 7 * 100}/month",
                    "type": "fixed",
                    "interval": "monthly",
                    "amount": int(days) // 7 * 100,
                }
                selected.append({"type": "pitr", "variant": {"id": self.pitr, "name": f"{days} days", "price": price}})
            return 200, {"selected_addons": selected, "available_addons": []}
        if path == "/database/backups":
            return 200, {
                "region": "us-east-1",
                "walg_enabled": True,
                "pitr_enabled": False,
                "backups": [
                    {"id": 1, "is_physical_backup": True, "status": "COMPLETED", "inserted_at": "2026-11-24T03:00:00Z"},
                    {"id": 2, "is_physical_backup": True, "status": "COMPLETED", "inserted_at": "2026-11-25T03:00:00Z"},
                    {"id": 3, "is_physical_backup": True, "status": "FAILED", "inserted_at": "2026-11-26T03:00:00Z"},
                ],
                "physical_backup_data": {},
            }
        return 404, {"message": f"{method} {path} is not served by this stand-in"}

    @staticmethod
    def _shown(key: dict[str, Any], reveal: bool) -> dict[str, Any]:
        shown = dict(key)
        if not reveal and shown["type"] in ("secret", "publishable"):
            shown["api_key"] = shown["prefix"] + "··········"
        return shown
