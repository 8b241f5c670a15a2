"""Runs the real Pulumi program of a stack on Pulumi's mock runtime and records every registration.

This is the only stand-in in the project: it replaces the Pulumi engine and the cloud providers
(which are unreachable here) and nothing else. The program itself, ``__main__.py``, runs
unchanged with the stack's real config file. The tests and the offline preview share it.
"""

from __future__ import annotations

import gc
import hashlib
import json
import re
import runpy
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from components.config import PROJECT, SECRET_KEYS, ConfigError, supabase_project_ref

ROOT = Path(__file__).resolve().parent.parent
MOCK_ACCOUNT_ID = "123456789012"
# Placeholder for a secret the stack file does not hold (set per stack with --secret or ESC).
SECRET_PLACEHOLDER = "offline-placeholder-secret"  # noqa: S105 (not a credential)
# Offline placeholders must still pass the config's shape checks.
OFFLINE_TOKEN = "sbp_offline_placeholder_token"  # noqa: S105 (not a credential)


def secret_placeholder(key: str, config: Mapping[str, str]) -> str:
    """What stands in, offline, for a secret the deployer sets: shaped to pass the config's checks.

    The migrations' URL names this stack's own project through the session pooler, as the real
    one must.
    """
    if key == "databaseUrl":
        url = config.get(f"{PROJECT}:supabaseUrl", "https://offlineplaceholder0.supabase.co")
        ref = supabase_project_ref(url)
        return f"postgresql://postgres.{ref}:{SECRET_PLACEHOLDER}@aws-0-us-east-1.pooler.supabase.com:5432/postgres"
    if key == "supabaseAccessToken":
        return OFFLINE_TOKEN
    return SECRET_PLACEHOLDER


CALLER_IDENTITY_INVOKE = "aws:index/getCallerIdentity:getCallerIdentity"


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


def _unwrap(value: Any) -> Any:
    """Replaces the engine's secret wrappers with ``Secret``, its unknowns with ``UNKNOWN``, and
    keeps the rest as plain data."""
    if isinstance(value, pulumi.output.Unknown) or value == rpc.UNKNOWN:
        return UNKNOWN
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return Secret(_unwrap(value["value"]))
        return {key: _unwrap(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unwrap(item) for item in value]
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


def _arn(resource_type: str, name: str, inputs: Mapping[str, Any]) -> str:
    service = resource_type.split(":")[1].split("/", maxsplit=1)[0]
    if service == "iam":  # global service: no region in the ARN
        kind = resource_type.rsplit(":", 1)[1]
        kind = kind[0].lower() + kind[1:]
        return f"arn:aws:iam::{MOCK_ACCOUNT_ID}:{kind}/{inputs.get('name', name)}"
    region = inputs.get("region", "us-east-2")
    return f"arn:aws:{service}:{region}:{MOCK_ACCOUNT_ID}:{name}"


class ProviderStandIns(Mocks):
    """Plausible provider outputs, so the program's applies run with realistic values.

    With ``invent=False`` they compute nothing, as a real preview knows nothing providers have
    not computed yet: ids, ARNs, endpoints and tokens stay unknown (an import keeps its id).
    """

    def __init__(self, invent: bool = True) -> None:
        super().__init__()
        self.invent = invent

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if not self.invent:
            return args.resource_id or "", dict(args.inputs)
        inputs = dict(args.inputs)
        name, resource_type = args.name, args.typ
        short = hashlib.sha256(f"{resource_type}:{name}".encode()).hexdigest()[:12]
        state: dict[str, Any] = dict(inputs)
        resource_id = f"{name}-{short}"
        if resource_type.startswith("aws:"):
            state.setdefault("arn", _arn(resource_type, name, inputs))
        if resource_type == "aws:s3/bucket:Bucket":
            resource_id = inputs["bucket"]
            state["arn"] = f"arn:aws:s3:::{inputs['bucket']}"
            state["bucketRegionalDomainName"] = f"{inputs['bucket']}.s3.{inputs['region']}.amazonaws.com"
        elif resource_type == "aws:cloudfront/distribution:Distribution":
            resource_id = f"E{short.upper()}"
            state["arn"] = f"arn:aws:cloudfront::{MOCK_ACCOUNT_ID}:distribution/{resource_id}"
            state["domainName"] = f"d{short}.cloudfront.net"
            state["hostedZoneId"] = "Z2FDTNDATAQYW2"
        elif resource_type == "aws:acm/certificate:Certificate":
            domain = inputs["domainName"]
            state["domainValidationOptions"] = [
                {
                    "domainName": domain,
                    "resourceRecordName": f"_{short}.{domain}.",
                    "resourceRecordType": "CNAME",
                    "resourceRecordValue": f"_{short}.acm-validations.aws.",
                }
            ]
        elif resource_type == "aws:route53/record:Record":
            state["fqdn"] = inputs["name"]
        elif resource_type == "aws:iam/accessKey:AccessKey":
            state["secret"] = SECRET_PLACEHOLDER
        elif resource_type == "upstash:index/redisDatabase:RedisDatabase":
            state.update(
                endpoint=f"{name}-{short}.upstash.io",
                port=6379,
                password=SECRET_PLACEHOLDER,
                restToken=SECRET_PLACEHOLDER,
                readOnlyRestToken=SECRET_PLACEHOLDER,
                databaseId=short,
            )
        elif resource_type == "pulumi-python:dynamic/supabase:ApiKey":
            state.update(key_id=f"key-{short}", api_key=f"sb_{inputs['type']}_{short}", prefix=f"sb_{inputs['type']}_")
        elif resource_type.startswith("vercel:"):
            resource_id = f"prj_{short}" if resource_type.endswith(":Project") else resource_id
        return resource_id, state

    # The monitor iterates a returned tuple's failures, so a plain dict is the working form.
    def call(self, args: MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        if args.token == CALLER_IDENTITY_INVOKE:
            return {
                "accountId": MOCK_ACCOUNT_ID,
                "arn": f"arn:aws:iam::{MOCK_ACCOUNT_ID}:user/offline",
                "userId": "OFFLINE",
                "id": MOCK_ACCOUNT_ID,
            }
        raise NotImplementedError(f"no offline stand-in for the invoke {args.token}")


class RecordingMonitor(MockMonitor):
    """The mock monitor, keeping each registration with its options (parent, protect, ...)."""

    def __init__(self, mocks: Mocks):
        super().__init__(mocks)
        self.registrations: list[Registration] = []

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type == "pulumi:pulumi:Stack":
            return response
        raw = rpc.deserialize_properties(request.object, keep_unknowns=True)
        state = self.resources[response.urn].state if response.urn in self.resources else {}
        self.registrations.append(
            Registration(
                type=request.type,
                name=request.name,
                urn=response.urn,
                id=response.id,
                parent=request.parent,
                custom=request.custom,
                protect=bool(request.protect),
                retain_on_delete=bool(request.retainOnDelete),
                import_id=request.importId,
                dependencies=list(request.dependencies),
                property_dependencies={key: list(deps.urns) for key, deps in request.propertyDependencies.items()},
                inputs=_unwrap(raw),
                outputs=_unwrap(dict(state)),
                delete_before_replace=bool(request.deleteBeforeReplace),
            )
        )
        return response


def _resolve_output(value: Any) -> Any:
    """A stack output's final value, wrapped in ``Secret`` when the engine would store it encrypted."""
    output = pulumi.Output.from_input(value)
    resolved = _sync_await(output.future())
    return Secret(resolved) if _sync_await(output.is_secret()) else resolved


ESC_ENVIRONMENT = re.compile(r"^[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*(@[\w.-]+)?$")


def _stack_document(stack: str, root: Path) -> dict[str, Any]:
    path = root / f"Pulumi.{stack}.yaml"
    if not path.exists():
        raise FileNotFoundError(f"{path.name} does not exist: this project has the stacks dev and prod")
    try:
        document = yaml.safe_load(path.read_text()) or {}
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
    declared: Mapping[str, Mapping[str, Any]] = (yaml.safe_load((root / "Pulumi.yaml").read_text()) or {}).get(
        "config"
    ) or {}
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
    where = " and ".join(sources) if sources else 'nowhere yet (README "Secrets")'
    return f"Secrets from {where}, not opened offline: placeholders stand in for {', '.join(stand_ins)}."


def offline_config(
    stack: str, overrides: Mapping[str, Any] | None = None, root: Path = ROOT
) -> tuple[dict[str, str], set[str]]:
    """Stack file config, with placeholders for the secrets a deployer sets outside the file.

    ``overrides`` maps keys (without the project prefix) to values; None deletes a key, and a
    ``Secret`` value is set as a secret.
    """
    check_project_schema(stack, root)
    config, secret_keys = stack_file_config(stack, root)
    for key in SECRET_KEYS:
        full = f"{PROJECT}:{key}"
        # Unset, or ciphertext (`secure: v1:…`) that only the stack's secrets provider can open.
        if full not in config or (full in secret_keys and config[full] == SECRET_PLACEHOLDER):
            config[full] = secret_placeholder(key, config)
            secret_keys.add(full)
    for key, value in (overrides or {}).items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        secret_keys.discard(full)
        if value is None:
            config.pop(full, None)
            continue
        plain = value
        if isinstance(value, Secret):
            secret_keys.add(full)
            plain = value.value
        config[full] = plain if isinstance(plain, str) else json.dumps(plain)
    return config, secret_keys


def run_program(
    stack: str,
    overrides: Mapping[str, Any] | None = None,
    root: Path = ROOT,
    preview: bool = True,
    invent: bool = True,
    collect: bool = True,
) -> Plan:
    """Runs ``__main__.py`` for ``stack`` to completion on the mock runtime.

    As ``pulumi preview`` runs it (``preview=True``), but with the stand-ins' values for what
    providers compute, so assertions on them are never vacuous; ``preview=False`` runs it as
    ``pulumi up`` would (where, for one, prod refuses placeholder values). ``invent=False``
    leaves what providers compute unknown, as a real preview shows it.
    """
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    config, secret_keys = offline_config(stack, overrides, root)
    secret_sources = describe_secret_sources(stack, root)
    mocks = ProviderStandIns(invent)
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.settings.ROOT.set(None)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=preview, monitor=monitor)
    pulumi.runtime.set_all_config(config, sorted(secret_keys))
    settings = pulumi.runtime.settings.SETTINGS
    settings.rpc_manager.clear()
    settings.outputs.clear()

    def program() -> None:
        runpy.run_path(str(root / "__main__.py"), run_name="__main__")

    _sync_await(run_pulumi_func(program))
    root_stack = pulumi.runtime.settings.get_root_resource()
    exported: dict[str, Any] = getattr(root_stack, "outputs", {})
    outputs = {name: _resolve_output(value) for name, value in exported.items()}
    # The mock monitor makes event loops on worker threads; collect them now, while they can
    # still close cleanly, rather than at interpreter exit (where they print a traceback). A
    # caller that exits without teardown (the preview) skips it.
    if collect:
        gc.collect()
    return Plan(
        stack=stack,
        registrations=monitor.registrations,
        outputs=outputs,
        secret_sources=secret_sources,
    )
