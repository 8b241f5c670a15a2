"""The vendors' own OpenAPI documents (``specs/``, copied unchanged with their provenance), as the
stand-ins' judges.

Every request a stand-in receives is validated against the document (openapi-core: path,
method, parameters, body types, enums, bounds, security) and its body checked for field names the
schema does not list, since the documents do not forbid them and the real APIs ignore or refuse
them; every answer a stand-in gives is validated too, so a stand-in cannot drift into accepting
what the real API refuses or answering what it never would. Known quirks of the documents are
patched in memory, as ``PROVENANCE.md`` lists them; the files are never edited.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from tests.conftest import ROOT

SPECS_DIR = ROOT / "specs"


def _patched_supabase(document: dict[str, Any]) -> dict[str, Any]:
    """PROVENANCE.md's quirks: stray `hideDefinitions`, boolean defaults given as strings, and
    security schemes used but not declared."""

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            node.pop("hideDefinitions", None)
            if node.get("type") == "boolean" and isinstance(node.get("default"), str):
                node["default"] = node["default"] == "true"
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    patched = copy.deepcopy(document)
    walk(patched)
    schemes = patched.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes.setdefault("bearer", {"type": "http", "scheme": "bearer"})
    schemes.setdefault("fga_permissions", {"type": "http", "scheme": "bearer"})
    return patched


def judge(document: dict[str, Any]) -> OpenAPI:
    """openapi-core's validators for ``document``, whose own validity ``tests/test_specs.py``
    checks once (openapi-core would check it again in every process, ~0.5 s of CPU each)."""
    return OpenAPI.from_dict(document, config=Config(spec_validator_cls=None))


class SpecViolationError(AssertionError):
    """A request or an answer the vendor's document does not allow."""


@dataclass
class ApiSpec:
    document: dict[str, Any]
    openapi: OpenAPI
    # The document's server, and the part of its URL that prefixes every path (Upstash's /v2).
    host_url: str = "https://api.example"
    base_path: str = ""

    def _operation(self, method: str, path: str) -> dict[str, Any]:
        path = path.removeprefix(self.base_path)
        for template, operations in self.document["paths"].items():
            pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
            if re.match(pattern, path) and method.lower() in operations:
                return dict(operations[method.lower()])
        raise SpecViolationError(f"{method} {path} is not an operation of the API")

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            node: Any = self.document
            for part in schema["$ref"].lstrip("#/").split("/"):
                node = node[part]
            schema = node
        return schema

    def unknown_fields(self, method: str, path: str, body: Any) -> list[str]:
        if not isinstance(body, dict):
            return []
        content = self._operation(method, path).get("requestBody", {}).get("content", {})
        schema = self._resolve(content.get("application/json", {}).get("schema", {}))
        known = set(schema.get("properties", {}))
        return sorted(set(body) - known) if known else []

    def check_request(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> None:
        request = MockRequest(self.host_url, method.lower(), path, args=query, headers=headers, data=body or None)
        try:
            self.openapi.validate_request(request)
        except Exception as error:  # openapi-core raises a family of errors; all mean "refused"
            raise SpecViolationError(_reason(error)) from None
        parsed = json.loads(body) if body else None
        unknown = self.unknown_fields(method, path, parsed)
        if unknown:
            raise SpecViolationError(f"unknown field(s) {', '.join(unknown)}")

    def check_response(self, method: str, path: str, query: dict[str, str], status: int, body: Any) -> None:
        request = MockRequest(self.host_url, method.lower(), path, args=query)
        response = MockResponse(json.dumps(body).encode(), status_code=status, content_type="application/json")
        try:
            self.openapi.validate_response(request, response)
        except Exception as error:  # the stand-in answered what the real API never would
            raise SpecViolationError(f"answer to {method} {path} breaks the document: {_reason(error)}") from None


def _reason(error: Exception) -> str:
    causes = [str(getattr(cause, "message", cause)) for cause in getattr(error, "schema_errors", ()) or ()]
    inner = error.__cause__
    while inner is not None and not causes:
        causes = [str(getattr(cause, "message", cause)) for cause in getattr(inner, "schema_errors", ()) or ()]
        inner = inner.__cause__
    return "; ".join(causes) or " ".join(str(error).split())[:300]


@cache
def supabase_management_spec() -> ApiSpec:
    document = json.loads((SPECS_DIR / "supabase-management-api.json").read_text())
    patched = _patched_supabase(document)
    return ApiSpec(document=patched, openapi=judge(patched))


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            found.add(node["$ref"])
        for value in node.values():
            found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def _shape(schema: Any, schemas: dict[str, Any]) -> str:
    """A schema without its prose and with its references inlined, to tell alternatives that
    only differ in wording or in naming a shared schema."""

    def strip(node: Any, expanding: frozenset[str] = frozenset()) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                # A recursive schema (a deployment's nested routes) is named, not inlined, inside itself.
                name = ref.rsplit("/", 1)[1]
                return {"$ref": name} if name in expanding else strip(schemas[name], expanding | {name})
            return {k: strip(v, expanding) for k, v in node.items() if k not in ("description", "example", "title")}
        if isinstance(node, list):
            return [strip(v, expanding) for v in node]
        return node

    return json.dumps(strip(schema), sort_keys=True)


def _dedupe_enums(node: Any, schemas: dict[str, Any]) -> None:
    """PROVENANCE.md's Vercel quirks: duplicate enum values, empty oneOf lists, and oneOf lists
    whose alternatives are the same schema twice."""
    if isinstance(node, dict):
        if isinstance(node.get("enum"), list):
            node["enum"] = list(dict.fromkeys(json.dumps(v) for v in node["enum"]))
            node["enum"] = [json.loads(v) for v in node["enum"]]
        if node.get("oneOf") == []:
            node.pop("oneOf")
        elif isinstance(node.get("oneOf"), list):
            # Identical alternatives (getProjectDomains lists its answer twice) make every
            # answer match "more than one": keep one of each.
            unique = list({_shape(option, schemas): option for option in node["oneOf"]}.values())
            if len(unique) == 1:
                node.pop("oneOf")
                node.update(unique[0])
            else:
                node["oneOf"] = unique
        for value in node.values():
            _dedupe_enums(value, schemas)
    elif isinstance(node, list):
        for value in node:
            _dedupe_enums(value, schemas)


def subset(document: dict[str, Any], operations: dict[str, list[str]]) -> dict[str, Any]:
    """The vendor's document cut down to the operations a stand-in serves, with every schema
    they reference (the full Vercel document is 4 MB: its validator would cost seconds)."""
    paths = {path: {m: document["paths"][path][m] for m in methods} for path, methods in operations.items()}
    for path, item in paths.items():
        if "parameters" in document["paths"][path]:
            item["parameters"] = document["paths"][path]["parameters"]
    schemas: dict[str, Any] = {}
    pending = _refs(paths)
    while pending:
        ref = pending.pop()
        name = ref.rsplit("/", 1)[1]
        if name not in schemas:
            schemas[name] = document["components"]["schemas"][name]
            pending |= _refs(schemas[name])
    components = {"schemas": schemas, "securitySchemes": document.get("components", {}).get("securitySchemes", {})}
    cut = {"openapi": document["openapi"], "info": document["info"], "paths": paths, "components": components}
    cut = copy.deepcopy(cut)
    _dedupe_enums(cut, cut["components"]["schemas"])
    return cut


@cache
def vercel_spec() -> ApiSpec:
    document = json.loads((SPECS_DIR / "vercel-rest-api.json").read_text())
    cut = subset(
        document,
        {
            "/v9/projects/{idOrName}": ["get"],
            "/v9/projects/{idOrName}/domains": ["get"],
            "/v10/projects/{idOrName}/env": ["get"],
            "/v9/projects/{idOrName}/env/{id}": ["patch"],
            "/v6/deployments": ["get"],
            "/v13/deployments": ["post"],
            "/v13/deployments/{idOrUrl}": ["get"],
            "/v10/projects/{projectId}/promote/{deploymentId}": ["post"],
        },
    )
    cut["servers"] = document["servers"]
    return ApiSpec(document=cut, openapi=judge(cut), host_url="https://api.vercel.com")


@cache
def upstash_spec() -> ApiSpec:
    import yaml  # noqa: PLC0415

    document = yaml.safe_load((SPECS_DIR / "upstash-developer-api.yml").read_text())
    return ApiSpec(
        document=document, openapi=judge(document), host_url="https://api.upstash.com", base_path="/v2"
    )


def minimal(spec: ApiSpec, schema: dict[str, Any]) -> Any:
    """The smallest value a schema accepts (required fields only): what a stand-in starts its
    answers from before setting the fields a test cares about."""
    schema = spec._resolve(schema)
    for combinator in ("oneOf", "anyOf"):
        if schema.get(combinator):
            return minimal(spec, schema[combinator][0])
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = minimal(spec, part)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {name: minimal(spec, schema["properties"][name]) for name in schema.get("required", [])}
    if kind == "array":
        return []
    return {"string": "x", "integer": 0, "number": 0, "boolean": False}.get(str(kind))


def answer_schema(spec: ApiSpec, method: str, path: str, status: str = "200") -> dict[str, Any]:
    operation = spec._operation(method, path)
    return dict(operation["responses"][status]["content"]["application/json"]["schema"])
