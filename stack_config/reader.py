"""Reads raw config values (strings, as Pulumi passes them) with errors that name the key.

Defaults, bounds and choices come from the key table (``stack_config.keys``), so a key's rules
are written once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from stack_config.keys import KEYS_BY_NAME, ConfigKey
from stack_config.vocabulary import PROJECT


class ConfigError(pulumi.RunError):
    """A stack configuration value is missing or malformed (reported without a traceback)."""


class Reader:
    def __init__(self, stack_file: str, raw: Mapping[str, str], secret_keys: frozenset[str]):
        self.stack_file = stack_file
        self.raw = raw
        self.secret_keys = secret_keys

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.stack_file}: {PROJECT}:{key} {problem}")

    @staticmethod
    def declared(key: str) -> ConfigKey:
        return KEYS_BY_NAME[key]

    def decoded(self, key: str) -> Any:
        """The key's value as the stack file wrote it: JSON for objects and lists, else the text."""
        text = self.raw[key]
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text

    def has(self, key: str) -> bool:
        return key in self.raw

    def string(self, key: str) -> str:
        if key not in self.raw:
            default = self.declared(key).default
            if default is None:
                raise self.fail(key, "is required but not set")
            return str(default)
        value = self.raw[key]
        if not value.strip():
            raise self.fail(key, "must not be empty")
        return value

    def integer(self, key: str) -> int:
        declared = self.declared(key)
        assert declared.bounds is not None, f"{key} declares no bounds"
        if key not in self.raw:
            if declared.default is None:
                raise self.fail(key, "is required but not set")
            return int(declared.default)
        value = self.decoded(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"must be a whole number, got {self.raw[key]!r}")
        low, high = declared.bounds
        if not low <= value <= high:
            raise self.fail(key, f"must be between {low} and {high}, got {value}")
        return value

    def boolean(self, key: str) -> bool:
        if key not in self.raw:
            return bool(self.declared(key).default)
        value = self.decoded(key)
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false, got {self.raw[key]!r}")
        return value

    def choice(self, key: str, hint: str = "") -> str:
        choices = self.declared(key).choices
        assert choices is not None, f"{key} declares no choices"
        value = self.string(key)
        if value not in choices:
            raise self.fail(key, f"must be one of {', '.join(choices)}, got {value!r}{hint}")
        return value

    def string_list(self, key: str) -> list[str]:
        default = self.declared(key).default
        if key not in self.raw:
            if default is None:
                raise self.fail(key, "is required but not set")
            return list(default)
        value = self.decoded(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, "must be a list of strings")
        if not value and default is None:
            raise self.fail(key, "must not be an empty list")
        return value

    def mapping(self, key: str, allowed: Sequence[str]) -> dict[str, str]:
        """An object of non-empty strings under ``allowed`` names; all of them when the key is required."""
        required = self.declared(key).required
        if key not in self.raw:
            if required:
                raise self.fail(key, f"is required but not set (keys: {', '.join(allowed)})")
            return {}
        value = self.decoded(key)
        if not isinstance(value, dict):
            raise self.fail(key, f"must be an object with keys {', '.join(allowed)}")
        for sub, sub_value in value.items():
            if sub not in allowed:
                raise self.fail(f"{key}.{sub}", f"is not a known key (expected one of {', '.join(allowed)})")
            if not isinstance(sub_value, str) or not sub_value:
                raise self.fail(f"{key}.{sub}", "must be a non-empty string")
        if required:
            for sub in allowed:
                if sub not in value:
                    raise self.fail(f"{key}.{sub}", "is required but not set")
        return value

    def secret(self, key: str, shape: re.Pattern[str] | None = None, what: str = "") -> pulumi.Output[str]:
        assert self.declared(key).secret, f"{key} is not declared secret"
        if key not in self.raw:
            raise self.fail(key, f"is required but not set; set it with `pulumi config set --secret {key} ...`")
        if key not in self.secret_keys:
            raise self.fail(key, f"holds a secret in plain text; set it with `pulumi config set --secret {key} ...`")
        if shape is not None and not shape.match(self.raw[key]):
            # The value itself is never echoed.
            raise self.fail(key, f"must be {what}")
        return pulumi.Output.secret(self.raw[key])
