"""Runs the real Pulumi program of a stack on Pulumi's mock runtime and records every registration.

This is the only stand-in in the project: it replaces the Pulumi engine and the cloud providers
(which are unreachable here) and nothing else. The program itself, ``__main__.py``, runs
unchanged with the stack's real config file. The tests and the offline preview share it.
"""

from __future__ import annotations

import gc
import hashlib
import json
import runpy
import sys
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from preview import source_positions
from preview.plan import Plan, Registration, Secret, from_wire
from stack_config import PROJECT, STORAGE_REGION
from stack_config.stack_file import (
    ROOT,
    SECRET_PLACEHOLDER,
    describe_secret_sources,
    offline_config,
    stack_file_config,
)

MOCK_ACCOUNT_ID = "123456789012"
CALLER_IDENTITY_INVOKE = "aws:index/getCallerIdentity:getCallerIdentity"
VERCEL_VERIFICATION_INVOKE = "vercel:index/getEndpointVerification:getEndpointVerification"
VERCEL_PROJECT_INVOKE = "vercel:index/getProject:getProject"


def _arn(resource_type: str, name: str, inputs: Mapping[str, Any]) -> str:
    service = resource_type.split(":")[1].split("/", maxsplit=1)[0]
    if service == "iam":  # global service: no region in the ARN
        kind = resource_type.rsplit(":", 1)[1]
        kind = kind[0].lower() + kind[1:]
        return f"arn:aws:iam::{MOCK_ACCOUNT_ID}:{kind}/{inputs.get('name', name)}"
    region = inputs.get("region", "us-east-2")
    return f"arn:aws:{service}:{region}:{MOCK_ACCOUNT_ID}:{name}"


# Exported as secrets by a stack that serves prod's previews (__main__.py).
STACK_REFERENCE_SECRETS = ["supabasePublishableKey", "supabaseSecretKey", "redisRestTokens"]


def stack_reference_outputs(stack: str, root: Path) -> dict[str, Any]:
    """What another stack of this project exports that a stack reference reads, offline: from its
    own stack file where the value is config, stand-in values (marked as that stack's) elsewhere.
    tests/components/test_hosting_previews.py holds them to what that stack's own plan exports."""
    config, _ = stack_file_config(stack, root) if (root / f"Pulumi.{stack}.yaml").exists() else ({}, set())
    url = config.get(f"{PROJECT}:supabaseUrl", "https://offlineplaceholderaa.supabase.co")
    buckets = json.loads(config.get(f"{PROJECT}:buckets", "{}"))
    databases = ("cache", "ratelimit")
    return {
        "supabaseUrl": url,
        "supabasePublishableKey": f"sb_publishable_{stack}standin",
        "supabaseSecretKey": f"sb_secret_{stack}standin",
        "redisRestUrls": {db: f"https://{stack}-{db}-standin.upstash.io" for db in databases},
        "redisRestTokens": {db: f"{SECRET_PLACEHOLDER}-{stack}-{db}" for db in databases},
        "appRoleArn": f"arn:aws:iam::{MOCK_ACCOUNT_ID}:role/newcool-{stack}-vercel-app",
        "storageRegion": STORAGE_REGION,
        "bucketNames": buckets,
    }


class ProviderStandIns(Mocks):
    """Plausible provider outputs, so the program's applies run with realistic values.

    With ``invent=False`` they compute nothing, as a real preview knows nothing providers have
    not computed yet: ids, ARNs, endpoints and tokens stay unknown (an import keeps its id).
    """

    def __init__(
        self, invent: bool = True, existing: Mapping[tuple[str, str], str] | None = None, root: Path = ROOT
    ) -> None:
        super().__init__()
        self.invent = invent
        self.root = root
        # (type, name) -> id of resources already in the stack's state (a later `up` keeps them).
        self.existing = dict(existing or {})

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:  # noqa: PLR0912 (a branch a type)
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
        elif resource_type == "pulumi:pulumi:StackReference":
            # The referenced stack's outputs, as its own stack file makes them (prod's previews
            # read the dev stack's Supabase).
            other = str(inputs.get("name", name)).rsplit("/", 1)[-1]
            state.update(outputs=stack_reference_outputs(other, self.root), secretOutputNames=STACK_REFERENCE_SECRETS)
        elif resource_type == "aws:lambda/functionUrl:FunctionUrl":
            state["functionUrl"] = f"https://{short}.lambda-url.{inputs.get('region', 'us-east-2')}.on.aws/"
        elif resource_type == "pulumi-python:dynamic/supabase:ApiKey":
            state.update(key_id=f"key-{short}", api_key=f"sb_{inputs['type']}_{short}", prefix=f"sb_{inputs['type']}_")
        elif resource_type == "pulumi-python:dynamic/supabase:Branch":
            ref = ("pr" + short).translate(str.maketrans("0123456789", "abcdefghij"))[:20].ljust(20, "a")
            state.update(
                branch_ref=ref,
                url=f"https://{ref}.supabase.co",
                db_host="aws-0-us-east-2.pooler.supabase.com",
                db_port=5432,
                db_user=f"postgres.{ref}",
                database_url=f"postgresql://postgres.{ref}:{SECRET_PLACEHOLDER}@aws-0-us-east-2.pooler.supabase.com:5432/postgres",
            )
            resource_id = ref
        elif resource_type == "pulumi-python:dynamic/upstash:Database":
            endpoint = f"{inputs['database_name']}-{short}.upstash.io"
            state.update(database_id=short, endpoint=endpoint, rest_url=f"https://{endpoint}")
            state["rest_token"] = SECRET_PLACEHOLDER
        elif resource_type.startswith("vercel:"):
            resource_id = f"prj_{short}" if resource_type.endswith(":Project") else resource_id
        if (resource_type, name) in self.existing:
            resource_id = self.existing[(resource_type, name)]
        elif args.resource_id:
            # An import keeps the live resource's id: what the provider stores for the import id
            # (Vercel's team_…/prj_…[/…] import ids name the project or variable last).
            resource_id = (
                args.resource_id.rsplit("/", 1)[-1] if resource_type.startswith("vercel:") else args.resource_id
            )
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
        if args.token == VERCEL_PROJECT_INVOKE:
            # The dev project a review stack wires, as Vercel's getProject answers it.
            return {"id": f"prj_{hashlib.sha256(str(args.args.get('name')).encode()).hexdigest()[:12]}", **args.args}
        if args.token == VERCEL_VERIFICATION_INVOKE:
            return {"id": "offline", "verificationCode": "offline-verification-code"}
        raise NotImplementedError(f"no offline stand-in for the invoke {args.token}")


class RecordingMonitor(MockMonitor):
    """The mock monitor, keeping each registration with its options (parent, protect, ...)."""

    def __init__(self, mocks: Mocks, root: Path = ROOT):
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self.root = root

    def _position(self, position: Any) -> tuple[str, int] | None:
        if not position.uri.startswith("file://"):
            return None
        path = Path(urllib.parse.unquote(urllib.parse.urlparse(position.uri).path))
        try:
            return str(path.relative_to(self.root)), int(position.line)
        except ValueError:
            return str(path), int(position.line)

    def _source(self, request: Any) -> tuple[str, int] | None:
        """The line that declared the resource: the SDK's source position, or, for a dynamic
        resource (whose class in providers/ wraps the SDK's), the first frame outside providers/."""
        for frame in request.stackTrace.frames:
            found = self._position(frame.pc)
            if found is not None and not found[0].startswith(("providers/", "/")):
                return found
        return self._position(request.sourcePosition)

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
                inputs=from_wire(raw),
                outputs=from_wire(dict(state)),
                delete_before_replace=bool(request.deleteBeforeReplace),
                ignore_changes=list(request.ignoreChanges),
                source=self._source(request),
            )
        )
        return response


def _resolve_output(value: Any) -> Any:
    """A stack output's final value, wrapped in ``Secret`` when the engine would store it encrypted."""
    output = pulumi.Output.from_input(value)
    resolved = _sync_await(output.future())
    return Secret(resolved) if _sync_await(output.is_secret()) else resolved


def with_overrides(
    config: Mapping[str, str], secret_keys: set[str], overrides: Mapping[str, Any]
) -> tuple[dict[str, str], set[str]]:
    """``overrides`` maps keys (without the project prefix) to values; None deletes a key, and a
    ``Secret`` value is set as a secret."""
    config, secret_keys = dict(config), set(secret_keys)
    for key, value in overrides.items():
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
    collect: bool = False,
    existing: Mapping[tuple[str, str], str] | None = None,
) -> Plan:
    """Runs ``__main__.py`` for ``stack`` to completion on the mock runtime.

    As ``pulumi preview`` runs it (``preview=True``), but with the stand-ins' values for what
    providers compute, so assertions on them are never vacuous; ``preview=False`` runs it as
    ``pulumi up`` would (where, for one, prod refuses placeholder values). ``invent=False``
    leaves what providers compute unknown, as a real preview shows it. ``existing`` gives the ids
    of resources a previous `up` left in the state, by (type, name).
    """
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    config, secret_keys = with_overrides(*offline_config(stack, root), overrides or {})
    secret_sources = describe_secret_sources(stack, root)
    source_positions.install()
    mocks = ProviderStandIns(invent, existing, root)
    monitor = RecordingMonitor(mocks, root)
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
    # The mock monitor makes event loops on worker threads; ``collect`` frees them now, while they
    # can still close cleanly, rather than at interpreter exit (where they print a traceback).
    # It costs a third of a run: the tests collect once at the end of the session instead, and
    # the preview exits without teardown.
    if collect:
        gc.collect()
    return Plan(
        stack=stack,
        registrations=monitor.registrations,
        outputs=outputs,
        secret_sources=secret_sources,
    )
