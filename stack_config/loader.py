"""Reads a whole stack's configuration: the raw values, as Pulumi hands them to the program, into
one validated ``StackConfig``. A bad value stops the program before any resource is declared,
with one line naming the key and the stack file."""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Mapping

import pulumi
from pulumi.runtime.config import CONFIG, get_config_env, is_config_secret

from stack_config.accounts import check_accounts, other_stacks
from stack_config.keys import KNOWN_KEYS, RENAMED_KEYS, RETIRED_KEYS
from stack_config.model import StackConfig
from stack_config.namespaces import check_config_namespaces
from stack_config.reader import ConfigError, Reader
from stack_config.sections import (
    adoption,
    cache,
    firewall,
    hosting,
    monitoring,
    placeholders,
    storage,
    supabase,
    vaults,
)
from stack_config.stack_file import offline_config
from stack_config.vocabulary import ENVIRONMENTS, PROJECT, Environment


def _refuse_unknown_keys(reader: Reader) -> None:
    for key in sorted(reader.raw):
        if key in RENAMED_KEYS:
            raise reader.fail(key, f"was renamed to {RENAMED_KEYS[key]}; rename the key in {reader.stack_file}")
        if key in RETIRED_KEYS:
            raise reader.fail(key, f"is no longer read: {RETIRED_KEYS[key]}; remove it (`pulumi config rm {key}`)")
        if key not in KNOWN_KEYS:
            hint = difflib.get_close_matches(key, sorted(KNOWN_KEYS), n=1)
            suggestion = f" (did you mean {hint[0]}?)" if hint else ""
            raise reader.fail(key, f"is not a setting of this project{suggestion}")


def parse_stack_config(stack: str, raw: Mapping[str, str], secret_keys: frozenset[str] = frozenset()) -> StackConfig:
    """Validates the raw config of ``stack`` (keys without the project prefix)."""
    stack_file = f"Pulumi.{stack}.yaml"
    if stack not in ENVIRONMENTS:
        raise ConfigError(f"{stack_file}: unknown stack {stack!r}; this project has the stacks dev and prod")
    environment: Environment = "prod" if stack == "prod" else "dev"
    reader = Reader(stack_file, raw, secret_keys)
    _refuse_unknown_keys(reader)

    names = storage.bucket_names(reader, environment)
    origins = storage.app_origins(reader, environment)
    vercel = hosting.vercel(reader, environment)
    adopted = adoption.adoption(reader, names, vercel)
    backup_vault = vaults.backups(reader, environment, names)
    return StackConfig(
        environment=environment,
        stack_file=stack_file,
        storage=storage.storage(reader, environment, names, origins, adopted.buckets),
        firewall=firewall.firewall(reader),
        cache=cache.cache(reader, adopted.redis_cache),
        hosting=hosting.hosting(reader, environment, vercel, adopted),
        supabase=dataclasses.replace(
            supabase.supabase(reader, environment, origins), adopt_settings=adopted.supabase_settings is not None
        ),
        monitoring=monitoring.monitoring(reader, environment),
        backups=backup_vault,
        evidence=vaults.evidence(reader, environment, names, backup_vault.bucket_name),
        placeholders=placeholders.placeholders(reader),
    )


def project_config_values(
    config_env: Mapping[str, str], is_secret: Callable[[str], bool]
) -> tuple[dict[str, str], frozenset[str]]:
    """Splits Pulumi's flat ``project:key`` config into this project's keys and its secret keys."""
    prefix = f"{PROJECT}:"
    raw = {key[len(prefix) :]: value for key, value in config_env.items() if key.startswith(prefix)}
    secrets = frozenset(key for key in raw if is_secret(prefix + key))
    return raw, secrets


def load_stack_config() -> StackConfig:
    """Reads and validates the running stack's configuration."""
    # The language host passes config through the environment and/or the runtime's config map.
    config = {**get_config_env(), **CONFIG.get()}
    check_config_namespaces(pulumi.get_stack(), list(config), is_config_secret)
    check_accounts(pulumi.get_stack(), config, other_stacks(pulumi.get_stack()))
    raw, secrets = project_config_values(config, is_config_secret)
    return parse_stack_config(pulumi.get_stack(), raw, secrets)


def offline_stack_config(stack: str) -> StackConfig:
    """A stack's validated config read from its stack file, outside any Pulumi run (operator
    commands); secrets set outside the file get their placeholders."""
    config_env, secret_keys = offline_config(stack)
    raw, secrets = project_config_values(config_env, secret_keys.__contains__)
    return parse_stack_config(stack, raw, secrets)
