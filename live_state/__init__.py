"""What the live accounts held when ``make adopt-plan`` last read them: the recorded live state.

``make adopt-plan STACK=<stack>`` writes ``live_state/<stack>.json``; ``make preview`` reads it,
when it is there, to predict what the engine does with the stack's imports (an import whose
declared inputs differ from these fails the `up`) and what the second `up` changes.

The file (``format: newcool-live-state/1``)::

    {
      "format": "newcool-live-state/1",
      "stack": "prod",
      "recordedAt": "2026-11-30T12:00:00Z",      # when adopt-plan read the accounts
      "recordedBy": "make adopt-plan",
      "resources": [
        {
          "type": "aws:s3/bucket:Bucket",           # the Pulumi type token the stack declares
          "importId": "newcool-assets",             # the id the stack's adopt: block imports
          "inputs": {"bucket": "...", "region": "us-east-2", "forceDestroy": false, "tags": {}},
          "facts": {"publicObjectAcls": 3}          # what the inputs cannot say (for people)
        }
      ]
    }

``inputs`` holds what the provider reads for an import, under the engine's (camelCase) names;
a secret value is never written: it is recorded as ``{"secret": true}`` and compared by
presence only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT = "newcool-live-state/1"
DIRECTORY = Path(__file__).resolve().parent
SECRET = {"secret": True}


class LiveStateError(ValueError):
    """The recorded live state cannot be read (one line naming the file and what is wrong)."""


@dataclass(frozen=True)
class LiveResource:
    type: str
    import_id: str
    inputs: Mapping[str, Any]
    facts: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LiveState:
    stack: str
    recorded_at: str
    recorded_by: str
    resources: tuple[LiveResource, ...]

    def find(self, resource_type: str, import_id: str) -> LiveResource | None:
        return next((r for r in self.resources if r.type == resource_type and r.import_id == import_id), None)

    def to_json(self) -> str:
        document = {
            "format": FORMAT,
            "stack": self.stack,
            "recordedAt": self.recorded_at,
            "recordedBy": self.recorded_by,
            "resources": [
                {"type": r.type, "importId": r.import_id, "inputs": dict(r.inputs), "facts": dict(r.facts)}
                for r in self.resources
            ],
        }
        return json.dumps(document, indent=2, sort_keys=True) + "\n"


def path_for(stack: str, directory: Path = DIRECTORY) -> Path:
    return directory / f"{stack}.json"


def load(path: Path) -> LiveState:
    """The recorded state in ``path``; a malformed file is one error naming it."""
    try:
        document = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise LiveStateError(f"{path.name}: cannot be read as JSON ({error})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise LiveStateError(f"{path.name}: is not a recorded live state (format {FORMAT})")
    resources = []
    for index, entry in enumerate(document.get("resources") or []):
        if not isinstance(entry, dict) or not {"type", "importId", "inputs"} <= set(entry):
            raise LiveStateError(f"{path.name}: resources[{index}] needs type, importId and inputs")
        if not isinstance(entry["inputs"], dict):
            raise LiveStateError(f"{path.name}: resources[{index}].inputs must be an object")
        resources.append(
            LiveResource(str(entry["type"]), str(entry["importId"]), entry["inputs"], entry.get("facts") or {})
        )
    return LiveState(
        stack=str(document.get("stack", "")),
        recorded_at=str(document.get("recordedAt", "")),
        recorded_by=str(document.get("recordedBy", "")),
        resources=tuple(resources),
    )
