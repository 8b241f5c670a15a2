"""What the engine will do with the stack's imports, predicted from the recorded live state.

The mocks accept any import; the engine does not. On the first `up` an import whose declared
inputs (those not under ``ignore_changes``) differ from what the provider reads live fails
("inputs to import do not match the existing resource"), after every independent step has
already been applied. On the second `up`, once ``adopt:`` is removed, each declared property
that differs from live is an update, or a replacement where the provider forces one; a
replacement of a protected resource fails, and one with ``deleteBeforeReplace`` leaves the
resource missing for a moment (a Vercel variable missing from the builds that start then).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from live_state import SECRET, LiveState
from preview.engine import run_program
from preview.plan import Plan, Registration, Secret, Unknown
from providers.supabase_settings import SETTINGS_RESOURCE_TYPES
from stack_config import PROJECT
from stack_config.stack_file import ROOT, stack_file_config

# Properties whose change makes the provider replace the resource (its schema's ForceNew or
# RequiresReplace): pulumi-aws 7 (bucket name, its per-resource region, object lock), the
# Upstash provider (database_name, region, primary_region) and the Vercel provider (ids, key,
# and a variable's `sensitive`, docs/reference/design-notes.md section 8).
FORCES_REPLACEMENT: Mapping[str, frozenset[str]] = {
    "aws:s3/bucket:Bucket": frozenset({"bucket", "bucketPrefix", "region", "objectLockEnabled"}),
    "upstash:index/redisDatabase:RedisDatabase": frozenset({"databaseName", "region", "primaryRegion"}),
    "vercel:index/project:Project": frozenset({"teamId"}),
    "vercel:index/projectDomain:ProjectDomain": frozenset({"projectId", "teamId", "domain"}),
    "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable": frozenset(
        {"projectId", "teamId", "key", "sensitive"}
    ),
}
_ABSENT = object()


@dataclass(frozen=True)
class Difference:
    property: str
    declared: Any
    live: Any


@dataclass(frozen=True)
class ImportCheck:
    """One adopted resource against its recorded live state."""

    registration: Registration
    differences: tuple[Difference, ...]
    recorded: bool

    @property
    def fails(self) -> bool:
        return bool(self.differences)


@dataclass(frozen=True)
class Change:
    """What the second `up` does to one adopted resource."""

    registration: Registration
    kind: Literal["update", "replace"]
    differences: tuple[Difference, ...]
    forcing: tuple[str, ...] = field(default_factory=tuple)

    @property
    def delete_first(self) -> bool:
        return self.kind == "replace" and self.registration.delete_before_replace

    @property
    def blocked_by_protect(self) -> bool:
        return self.kind == "replace" and self.registration.protect


def comparable(value: Any) -> Any:  # noqa: PLR0911 (one return per kind of value)
    """A value as the provider compares it: numbers by value, sets of strings in any order,
    secrets by their content, and a recorded secret (never written down) as a marker."""
    if isinstance(value, Secret):
        return comparable(value.value)
    if isinstance(value, Unknown):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        if dict(value) == SECRET:
            return "<recorded secret>"
        return {key: comparable(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        items = [comparable(item) for item in value]
        return sorted(items) if all(isinstance(item, str) for item in items) else items
    return value


def _display(value: Any) -> Any:
    """What a report may show of a declared value: never a secret's content."""
    if isinstance(value, Secret) or (isinstance(value, Mapping) and dict(value) == SECRET):
        return "[secret]"
    if isinstance(value, Unknown):
        return "(known after apply)"
    if isinstance(value, Mapping):
        return {key: _display(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_display(item) for item in value]
    return comparable(value)


def _differences(registration: Registration, live_inputs: Mapping[str, Any], skip: Sequence[str]) -> list[Difference]:
    found = []
    for key, declared in sorted(registration.inputs.items()):
        if key.startswith("__") or key in skip or declared is None:
            continue
        live = live_inputs.get(key, _ABSENT)
        if live is _ABSENT:
            found.append(Difference(key, _display(declared), "(not set live)"))
        elif comparable(declared) != comparable(live):
            found.append(Difference(key, _display(declared), _display(live)))
    return found


def check_imports(plan: Plan, live: LiveState) -> list[ImportCheck]:
    """Each import of the plan against what its provider reads live (``ignore_changes`` skipped)."""
    checks = []
    for registration in (r for r in plan if r.import_id):
        recorded = live.find(registration.type, registration.import_id)
        if recorded is None:
            checks.append(ImportCheck(registration, (), recorded=False))
            continue
        found = _differences(registration, recorded.inputs, registration.ignore_changes)
        checks.append(ImportCheck(registration, tuple(found), recorded=True))
    return checks


def second_up_changes(first: Plan, second: Plan, live: LiveState) -> list[Change]:
    """What the second `up` (the plan without ``adopt:``) changes in each resource the first imported."""
    adopted = {r.urn: r for r in first if r.import_id}
    changes = []
    for registration in second:
        imported = adopted.get(registration.urn)
        recorded = live.find(imported.type, imported.import_id) if imported else None
        if recorded is None:
            continue
        found = _differences(registration, recorded.inputs, ())
        if not found:
            continue
        forcing = tuple(d.property for d in found if d.property in FORCES_REPLACEMENT.get(registration.type, ()))
        changes.append(Change(registration, "replace" if forcing else "update", tuple(found), forcing))
    changes += settings_changes(first, second, live)
    return sorted(changes, key=lambda change: (change.registration.type, change.registration.name))


def settings_record_id(registration: Registration) -> str:
    """How adopt-plan records a Supabase settings resource: ``<project ref>/<endpoint>``."""
    return f"{registration.inputs.get('project_ref')}/{SETTINGS_RESOURCE_TYPES[registration.type]}"


def settings_changes(first: Plan, second: Plan, live: LiveState) -> list[Change]:
    """What the second `up` writes to the Supabase settings the first one only recorded: each
    declared field whose recorded live value differs (``settings.<field>``)."""
    recorded_only = {r.urn for r in first if r.type in SETTINGS_RESOURCE_TYPES and r.inputs.get("record_only")}
    changes = []
    for registration in second:
        if registration.urn not in recorded_only:
            continue
        recorded = live.find(registration.type, settings_record_id(registration))
        if recorded is None:
            continue
        found = _differences(
            Registration(**{**registration.__dict__, "inputs": dict(registration.inputs.get("settings") or {})}),
            dict(recorded.inputs.get("settings") or {}),
            (),
        )
        prefixed = tuple(Difference(f"settings.{d.property}", d.declared, d.live) for d in found)
        if prefixed:
            changes.append(Change(registration, "update", prefixed))
    return changes


def second_up_overrides(stack: str, root: Path = ROOT) -> dict[str, Any]:
    """The stack file as the second `up` reads it: no ``adopt:``, and no placeholder of it."""
    config, _ = stack_file_config(stack, root)
    listed = json.loads(config.get(f"{PROJECT}:placeholders", "[]"))
    return {"adopt": None, "placeholders": [key for key in listed if not key.startswith("adopt")]}


@dataclass(frozen=True)
class Prediction:
    """The engine's two `up`s of an adoption, as the recorded live state lets us foresee them."""

    recorded_at: str
    recorded_by: str
    imports: tuple[ImportCheck, ...]
    second_up: tuple[Change, ...]

    @property
    def import_failures(self) -> list[ImportCheck]:
        return [check for check in self.imports if check.fails]

    @property
    def unrecorded(self) -> list[ImportCheck]:
        return [check for check in self.imports if not check.recorded]

    def as_report(self) -> dict[str, Any]:
        def differences(items: Sequence[Difference]) -> list[dict[str, Any]]:
            return [{"property": d.property, "declared": d.declared, "live": d.live} for d in items]

        return {
            "liveStateRecordedAt": self.recorded_at,
            "liveStateRecordedBy": self.recorded_by,
            "imports": [
                {
                    "urn": c.registration.urn,
                    "importId": c.registration.import_id,
                    "recorded": c.recorded,
                    "fails": c.fails,
                    "differences": differences(c.differences),
                }
                for c in self.imports
            ],
            "secondUp": [
                {
                    "urn": c.registration.urn,
                    "action": c.kind,
                    "forcedBy": list(c.forcing),
                    "deleteBeforeReplace": c.delete_first,
                    "blockedByProtect": c.blocked_by_protect,
                    "differences": differences(c.differences),
                }
                for c in self.second_up
            ],
        }


def predict(first: Plan, live: LiveState, root: Path = ROOT) -> Prediction:
    """Both `up`s of the adoption: the imports of ``first`` (the committed stack file) and the
    second `up` once ``adopt:`` is removed."""
    second = run_second_up(first, root, collect=False)
    return Prediction(
        live.recorded_at,
        live.recorded_by,
        tuple(check_imports(first, live)),
        tuple(second_up_changes(first, second, live)),
    )


def run_second_up(first: Plan, root: Path = ROOT, collect: bool = True) -> Plan:
    """The plan of the second `up`: the stack file without ``adopt:``, run against the state the
    first `up` leaves (every resource keeps its id, imported ones their live id)."""
    existing = {(r.type, r.name): r.id for r in first if r.custom}
    return run_program(
        first.stack, second_up_overrides(first.stack, root), root=root, existing=existing, collect=collect
    )


def shown(value: Any) -> str:
    """A difference's value on one short line (already masked by ``_display``)."""
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:59] + "…"
