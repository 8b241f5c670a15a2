"""The vendors' own OpenAPI documents (``../shared/specs``), as the stand-ins' judges.

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
from pathlib import Path
from typing import Any

import pytest
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from tests.conftest import ROOT

SPECS_DIR = ROOT.parent / "shared" / "specs"


def require_specs() -> Path:
    """The specs folder, or a skip saying where it is expected."""
    if not (SPECS_DIR / "PROVENANCE.md").exists():
        pytest.skip(f"the vendors' OpenAPI documents are expected in {SPECS_DIR} (shared/specs beside the repository)")
    return SPECS_DIR


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


class SpecViolationError(AssertionError):
    """A request or an answer the vendor's document does not allow."""


@dataclass
class ApiSpec:
    document: dict[str, Any]
    openapi: OpenAPI

    def _operation(self, method: str, path: str) -> dict[str, Any]:
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
        request = MockRequest(
            "https://api.example", method.lower(), path, args=query, headers=headers, data=body or None
        )
        try:
            self.openapi.validate_request(request)
        except Exception as error:  # openapi-core raises a family of errors; all mean "refused"
            raise SpecViolationError(_reason(error)) from None
        parsed = json.loads(body) if body else None
        unknown = self.unknown_fields(method, path, parsed)
        if unknown:
            raise SpecViolationError(f"unknown field(s) {', '.join(unknown)}")

    def check_response(self, method: str, path: str, query: dict[str, str], status: int, body: Any) -> None:
        request = MockRequest("https://api.example", method.lower(), path, args=query)
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
    document = json.loads((require_specs() / "supabase-management-api.json").read_text())
    patched = _patched_supabase(document)
    return ApiSpec(document=patched, openapi=OpenAPI.from_dict(patched))
