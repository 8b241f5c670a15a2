"""The plan: every resource as the engine received it, with the secret and unknown markers a
preview shows, and the questions asked of it (by type, by name, by URN)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import rpc


class Secret:
    """A value that was marked secret on its way to the engine."""

    def __init__(self, value: Any):
        self.value = value

    def __repr__(self) -> str:
        return "Secret([secret])"


class Unknown:
    """A value a provider computes, not known before apply (as ``pulumi preview`` shows it)."""

    def __repr__(self) -> str:
        return "Unknown"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unknown)

    def __hash__(self) -> int:
        return 0


UNKNOWN = Unknown()


def from_wire(value: Any) -> Any:
    """Replaces the engine's secret wrappers with ``Secret``, its unknowns with ``UNKNOWN``, and
    keeps the rest as plain data."""
    if isinstance(value, pulumi.output.Unknown) or value == rpc.UNKNOWN:
        return UNKNOWN
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return Secret(from_wire(value["value"]))
        return {key: from_wire(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_wire(item) for item in value]
    return _asset_wire(value)


def _asset_wire(value: Any) -> Any:
    """A Lambda's code, kept in the engine's own wire form, which is plain data."""
    if isinstance(value, pulumi.FileAsset):
        return {rpc._special_sig_key: rpc._special_asset_sig, "path": str(value.path)}
    if isinstance(value, pulumi.AssetArchive):
        archive = {name: from_wire(item) for name, item in value.assets.items()}
        return {rpc._special_sig_key: rpc._special_archive_sig, "assets": archive}
    return value


def to_wire(value: Any) -> Any:
    """Plain data as the engine sends it: each ``Secret`` in Pulumi's secret envelope, each
    unknown as the engine's unknown sentinel."""
    if isinstance(value, Unknown):
        return rpc.UNKNOWN
    if isinstance(value, Secret):
        return {rpc._special_sig_key: rpc._special_secret_sig, "value": to_wire(value.value)}
    if isinstance(value, dict):
        return {key: to_wire(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_wire(item) for item in value]
    return value


def reveal(value: Any) -> Any:
    """The plain value with every ``Secret`` opened (for assertions on content)."""
    if isinstance(value, Secret):
        return reveal(value.value)
    if isinstance(value, dict):
        return {key: reveal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [reveal(item) for item in value]
    return value


@dataclass
class Registration:
    """One resource as the engine received it: inputs plus the options that matter for safety."""

    type: str
    name: str
    urn: str
    id: str
    parent: str
    custom: bool
    protect: bool
    retain_on_delete: bool
    import_id: str
    dependencies: list[str]
    # input property -> URNs it was computed from (what lets a policy follow a reference)
    property_dependencies: dict[str, list[str]]
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    delete_before_replace: bool = False
    # Input properties (the engine's camelCase names) whose live values an update keeps.
    ignore_changes: list[str] = field(default_factory=list)
    # Where the program declared it: the file (relative to the repository) and line the SDK
    # sends with the registration (its sourcePosition).
    source: tuple[str, int] | None = None

    @property
    def props(self) -> dict[str, Any]:
        """Inputs with secrets opened."""
        result: dict[str, Any] = reveal(self.inputs)
        return result

    def json_input(self, key: str) -> dict[str, Any]:
        """An input holding a JSON document (a bucket or IAM policy), parsed."""
        document: dict[str, Any] = json.loads(self.props[key])
        return document


@dataclass
class Plan:
    stack: str
    registrations: list[Registration]
    outputs: dict[str, Any]
    # Where the stack's secrets come from, and which stand in offline (the preview's summary).
    secret_sources: str = ""

    def __iter__(self) -> Iterator[Registration]:
        return iter(self.registrations)

    def of_type(self, type_token: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_token]

    def named(self, type_token: str, name: str) -> Registration:
        found = [r for r in self.of_type(type_token) if r.name == name]
        if len(found) != 1:
            raise KeyError(f"{len(found)} resources of type {type_token} named {name}")
        return found[0]

    def by_urn(self, urn: str) -> Registration:
        return next(r for r in self.registrations if r.urn == urn)
