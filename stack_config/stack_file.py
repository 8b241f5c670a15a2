"""The stack files as the Pulumi CLI reads them: ``Pulumi.<stack>.yaml`` (its config, its ESC
imports, ``secure:`` ciphertext), checked against ``Pulumi.yaml``'s config schema, with stand-ins
shaped to pass the config checks for the secrets that cannot be opened offline."""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from stack_config.keys import SECRET_KEYS
from stack_config.reader import ConfigError
from stack_config.vocabulary import PROJECT, REVIEW_STACK, REVIEW_TEMPLATE, supabase_project_ref

ROOT = Path(__file__).resolve().parent.parent
# Placeholder for a secret the stack file does not hold (set per stack with --secret or ESC).
SECRET_PLACEHOLDER = "offline-placeholder-secret"  # noqa: S105 (not a credential)
# Offline placeholders must still pass the config's shape checks.
OFFLINE_TOKEN = "sbp_offline_placeholder_token"  # noqa: S105 (not a credential)
OFFLINE_DRAIN_SECRET = "offline-placeholder-log-drain-signing-secret"  # noqa: S105 (not a credential)


def secret_placeholder(key: str, config: Mapping[str, str]) -> str:
    """What stands in, offline, for a secret the deployer sets: shaped to pass the config's checks.

    The migrations' URL names this stack's own project through the session pooler, as the real
    one must.
    """
    if key == "databaseUrl":
        url = config.get(f"{PROJECT}:supabaseUrl", "https://offlineplaceholderaa.supabase.co")
        ref = supabase_project_ref(url)
        return f"postgresql://postgres.{ref}:{SECRET_PLACEHOLDER}@aws-0-us-east-1.pooler.supabase.com:5432/postgres"
    if key == "supabaseAccessToken":
        return OFFLINE_TOKEN
    if key == "vercelLogDrainSecret":
        return OFFLINE_DRAIN_SECRET
    return SECRET_PLACEHOLDER


ESC_ENVIRONMENT = re.compile(r"^[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*(@[\w.-]+)?$")


@functools.lru_cache(maxsize=32)
def _parsed(path: Path, modified_ns: int, size: int) -> Any:
    """A YAML file's content, parsed once per version of the file (it is read several times a run)."""
    return yaml.safe_load(path.read_text())


def load_yaml(path: Path) -> Any:
    status = path.stat()
    return copy.deepcopy(_parsed(path, status.st_mtime_ns, status.st_size))


def stack_file_path(stack: str, root: Path = ROOT) -> Path:
    """``Pulumi.<stack>.yaml``; for a review stack (pr-<N>) without its own file, the committed template."""
    path = root / f"Pulumi.{stack}.yaml"
    if not path.exists() and REVIEW_STACK.match(stack):
        return root / REVIEW_TEMPLATE
    return path


def _stack_document(stack: str, root: Path) -> dict[str, Any]:
    path = stack_file_path(stack, root)
    if not path.exists():
        raise FileNotFoundError(f"{path.name} does not exist: this project has the stacks dev, prod and pr-<N>")
    try:
        document = load_yaml(path) or {}
    except yaml.YAMLError as error:
        # One line, as the Pulumi CLI would refuse the file: where, and what.
        mark = getattr(error, "problem_mark", None)
        where = f"{path.name}:{mark.line + 1}" if mark is not None else path.name
        problem = getattr(error, "problem", None) or "is not valid YAML"
        raise ConfigError(f"{where}: {problem}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{path.name}: must be a mapping with a config: section")
    return document


def stack_environments(stack: str, root: Path = ROOT) -> list[str]:
    """The Pulumi ESC environments the stack file imports (``environment:``), in merge order."""
    environments = _stack_document(stack, root).get("environment") or []
    if not isinstance(environments, list) or not all(
        isinstance(name, str) and ESC_ENVIRONMENT.match(name) for name in environments
    ):
        raise ConfigError(
            f"Pulumi.{stack}.yaml: environment must list ESC environments as <project>/<name>, "
            f"e.g. [newcool-infra/{stack}]"
        )
    return environments


def stack_file_config(stack: str, root: Path = ROOT) -> tuple[dict[str, str], set[str]]:
    """The stack file's config as the CLI hands it to a program: flat keys, JSON for objects."""
    document = _stack_document(stack, root)
    config: dict[str, str] = {}
    secret_keys: set[str] = set()
    for key, value in (document.get("config") or {}).items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            # Encrypted with the stack's secrets provider: unreadable offline.
            config[key] = SECRET_PLACEHOLDER
            secret_keys.add(key)
        elif isinstance(value, str):
            config[key] = value
        else:
            config[key] = json.dumps(value)
    return config, secret_keys


def _matches_type(value: Any, declared: Mapping[str, Any]) -> bool:
    """The CLI's check of a stack value against a declared type (strings stay strings there)."""
    kind = declared.get("type")
    if kind == "array":
        items = declared.get("items") or {}
        return isinstance(value, list) and all(_matches_type(item, items) for item in value)
    if isinstance(value, (dict, list)):
        return False
    if kind == "integer":
        return not isinstance(value, bool) and re.fullmatch(r"-?\d+", str(value)) is not None
    if kind == "boolean":
        return str(value).lower() in ("true", "false")
    return kind == "string"


def check_project_schema(stack: str, root: Path = ROOT) -> None:
    """What the Pulumi CLI checks against `config:` in Pulumi.yaml before the program runs.

    Secret keys may come from the stack's ESC environment (or be set later with --secret), which
    offline cannot see: only a secret written in plain text into the stack file is refused."""
    declared: Mapping[str, Mapping[str, Any]] = (load_yaml(root / "Pulumi.yaml") or {}).get("config") or {}
    values = _stack_document(stack, root).get("config") or {}
    where = f"Pulumi.{stack}.yaml"
    for key, declaration in sorted(declared.items()):
        full = f"{PROJECT}:{key}"
        if full not in values:
            if "default" not in declaration and not declaration.get("secret"):
                raise ConfigError(f"{where}: Stack '{stack}' is missing configuration value '{key}' (Pulumi.yaml)")
            continue
        value = values[full]
        encrypted = isinstance(value, dict) and set(value) == {"secure"}
        if declaration.get("secret") and not encrypted:
            raise ConfigError(
                f"{where}: Stack '{stack}' with configuration key '{key}' must be encrypted as it's secret"
            )
        if not encrypted and not _matches_type(value, declaration):
            kind = declaration.get("type")
            if kind == "array":
                kind = f"List<{(declaration.get('items') or {}).get('type')}>"
            raise ConfigError(f"{where}: Stack '{stack}' with configuration key '{key}' must be of type '{kind}'")


def describe_secret_sources(stack: str, root: Path = ROOT) -> str:
    """One line: where this stack's secrets come from, none of which the offline run can open."""
    config, encrypted = stack_file_config(stack, root)
    sources = [f"ESC environment {name}" for name in stack_environments(stack, root)]
    if encrypted:
        sources.append(f"{len(encrypted)} ciphertext value(s) in Pulumi.{stack}.yaml")
    unset = sorted(key for key in SECRET_KEYS if f"{PROJECT}:{key}" not in config)
    stand_ins = sorted({key.removeprefix(f"{PROJECT}:") for key in encrypted} | set(unset))
    where = " and ".join(sources) if sources else "nowhere yet (docs/secrets.md)"
    return f"Secrets from {where}, not opened offline: placeholders stand in for {', '.join(stand_ins)}."


def offline_config(stack: str, root: Path = ROOT) -> tuple[dict[str, str], set[str]]:
    """The stack file's config as a program receives it, with placeholders for the secrets a
    deployer sets outside the file (the stack's ESC environment, or ciphertext)."""
    check_project_schema(stack, root)
    config, secret_keys = stack_file_config(stack, root)
    for key in SECRET_KEYS:
        full = f"{PROJECT}:{key}"
        # Unset, or ciphertext (`secure: v1:…`) that only the stack's secrets provider can open.
        if full not in config or (full in secret_keys and config[full] == SECRET_PLACEHOLDER):
            config[full] = secret_placeholder(key, config)
            secret_keys.add(full)
    return config, secret_keys


def set_stack_value(stack: str, key: str, value: int | str, root: Path = ROOT) -> Path:
    """Writes one plain project key into ``Pulumi.<stack>.yaml`` as ``pulumi config set`` would,
    keeping the file's comments and order: the line is replaced where it is, or added at the top
    of ``config:``. The file is read back as YAML before it replaces the old one."""
    path = root / f"Pulumi.{stack}.yaml"
    lines = path.read_text().splitlines(keepends=True)
    line = f"  {PROJECT}:{key}: {json.dumps(value)}\n"
    existing = [i for i, text in enumerate(lines) if text.startswith(f"  {PROJECT}:{key}:")]
    if existing:
        lines[existing[0]] = line
    else:
        lines.insert(lines.index("config:\n") + 1, line)
    text = "".join(lines)
    if yaml.safe_load(text)["config"].get(f"{PROJECT}:{key}") != value:
        raise ConfigError(f"{path.name}: could not set {PROJECT}:{key} (an unusual layout): set it by hand")
    path.write_text(text)
    return path
