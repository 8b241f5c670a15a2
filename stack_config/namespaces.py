"""Config namespaces other than the project's: each provider's keys, checked against the keys
its installed SDK declares, so a misspelt provider key is refused instead of silently ignored."""

from __future__ import annotations

import difflib
import functools
import importlib.util
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from stack_config.reader import ConfigError
from stack_config.vocabulary import PROJECT

# The providers this program configures through stack config, by namespace, and the package
# whose generated `config/vars.py` lists every key that provider reads.
PROVIDER_PACKAGES: Mapping[str, str] = {
    "aws": "pulumi_aws",
    "vercel": "pulumiverse_vercel",
    "upstash": "upstash_pulumi",
}
# The providers' credentials: set in plain text they would sit in a committed stack file.
PROVIDER_CREDENTIALS: Mapping[str, frozenset[str]] = {
    "aws": frozenset({"accessKey", "secretKey", "token"}),
    "vercel": frozenset({"apiToken"}),
    "upstash": frozenset({"apiKey"}),
}
# The engine's own namespace (`pulumi:tags`, `pulumi:disable-default-providers`): not ours to check.
ENGINE_NAMESPACE = "pulumi"
_PROVIDER_KEY = re.compile(r"__config__\.get\w*\('(\w+)'\)")


@functools.cache
def provider_config_keys(namespace: str) -> frozenset[str]:
    """Every key the provider reads, from its generated SDK (the provider's own schema)."""
    # Read, not imported: the SDKs load their config modules lazily, and only their source says
    # which keys exist.
    spec = importlib.util.find_spec(PROVIDER_PACKAGES[namespace])
    if spec is None or spec.origin is None:
        raise ConfigError(f"the {namespace} provider's SDK ({PROVIDER_PACKAGES[namespace]}) is not installed")
    source = (Path(spec.origin).parent / "config" / "vars.py").read_text()
    return frozenset(_PROVIDER_KEY.findall(source))


def check_config_namespaces(stack: str, keys: Sequence[str], is_secret: Callable[[str], bool]) -> None:
    """Refuses a key no one reads: a misspelt provider key (`aws:regoin`) or namespace (`aws2:`),
    which the provider would ignore silently, running with its default (another region); and a
    provider credential set in plain text."""
    stack_file = f"Pulumi.{stack}.yaml"
    namespaces = sorted({PROJECT, ENGINE_NAMESPACE, *PROVIDER_PACKAGES})
    for full in sorted(keys):
        namespace, _, key = full.partition(":")
        if namespace in (PROJECT, ENGINE_NAMESPACE):
            continue
        if namespace not in PROVIDER_PACKAGES:
            hint = difflib.get_close_matches(namespace, namespaces, n=1)
            suggestion = f"; did you mean {hint[0]}:{key}?" if hint else ""
            raise ConfigError(
                f"{stack_file}: {full}: {namespace!r} is not a config namespace of this project "
                f"({', '.join(namespaces)}){suggestion}"
            )
        known = provider_config_keys(namespace)
        if key.split(".", 1)[0] not in known:
            hint = difflib.get_close_matches(key, sorted(known), n=1)
            suggestion = f" (did you mean {namespace}:{hint[0]}?)" if hint else ""
            raise ConfigError(f"{stack_file}: {full} is not a setting of the {namespace} provider{suggestion}")
        if key in PROVIDER_CREDENTIALS[namespace] and not is_secret(full):
            raise ConfigError(
                f"{stack_file}: {full} is a credential and is set in plain text; put it in the stack's ESC "
                f"environment or set it with `pulumi config set --secret {full}`"
            )
