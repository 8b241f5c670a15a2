"""`placeholders:`: the config values still standing in for real ones (a real prod `up` refuses them)."""

from __future__ import annotations

from typing import Any

from stack_config.reader import Reader


def placeholders(reader: Reader) -> tuple[str, ...]:
    """Config keys still holding stand-ins; each must name a key the stack file sets."""
    listed = reader.string_list("placeholders")
    for entry in listed:
        top, _, rest = entry.partition(".")
        present = reader.has(top)
        if present and rest:
            node: Any = reader.decoded(top)
            for part in rest.split("."):
                present = isinstance(node, dict) and part in node
                node = node.get(part) if present else None
        if not present:
            raise reader.fail("placeholders", f"lists {entry!r}, which the stack file does not set")
    return tuple(listed)
