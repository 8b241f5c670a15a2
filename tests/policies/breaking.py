"""Ways to break a recorded plan, the way a careless change to the program would: edit one
resource's inputs, detach an input from the resource it was computed from, drop or add a resource."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from preview.plan import Plan, Registration

# (policy, how to break the prod plan, what the message says)
Case = tuple[str, Callable[[Plan], Plan], str]

PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
ENV_VAR = "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable"
REDIS = "upstash:index/redisDatabase:RedisDatabase"
DYNAMIC = "pulumi-python:dynamic/supabase:SchemaMigrations"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
TOPIC = "aws:sns/topic:Topic"
AUTH = "pulumi-python:dynamic/supabase:AuthConfig"
DATA_API = "pulumi-python:dynamic/supabase:DataApiConfig"
SSL = "pulumi-python:dynamic/supabase:SslEnforcement"
NETWORK = "pulumi-python:dynamic/supabase:NetworkRestrictions"
LEGACY_KEYS = "pulumi-python:dynamic/supabase:LegacyApiKeys"
PITR = "pulumi-python:dynamic/supabase:PitrAddon"
BUCKET = "aws:s3/bucket:Bucket"
PUBLIC_READ_UNTIL_TAG_KEY = "newcool:public-read-until"
REGIONAL_WEB_ACL_ARN = "arn:aws:wafv2:us-east-2:123456789012:regional/webacl/x/1"


def edited(plan: Plan, resource_type: str, name: str, change: Callable[[dict[str, Any]], None]) -> Plan:
    """The plan with one resource's inputs and state changed alike."""
    registrations = []
    for original in plan:
        registration = original
        if original.type == resource_type and original.name == name:
            registration = copy.deepcopy(original)
            change(registration.inputs)
            change(registration.outputs)
        registrations.append(registration)
    return Plan(plan.stack, registrations, plan.outputs)


def detached(plan: Plan, resource_type: str, name: str, key: str, value: Any = None) -> Plan:
    """The plan with one input no longer computed from another resource: set to a literal
    ``value``, or dropped when None (the property dependency goes with it)."""
    registrations = []
    for original in plan:
        registration = original
        if original.type == resource_type and original.name == name:
            registration = copy.deepcopy(original)
            registration.property_dependencies.pop(key, None)
            for props in (registration.inputs, registration.outputs):
                if value is None:
                    props.pop(key, None)
                else:
                    props[key] = value
        registrations.append(registration)
    return Plan(plan.stack, registrations, plan.outputs)


def without(plan: Plan, resource_type: str, name: str) -> Plan:
    kept = [r for r in plan if not (r.type == resource_type and r.name == name)]
    assert len(kept) == len(plan.registrations) - 1
    return Plan(plan.stack, kept, plan.outputs)


def plus(plan: Plan, resource_type: str, name: str, props: dict[str, Any]) -> Plan:
    parent = plan.registrations[0].parent
    added = Registration(
        type=resource_type,
        name=name,
        urn=f"{parent}${resource_type}::{name}",
        id=f"{name}-id",
        parent=parent,
        custom=True,
        protect=False,
        retain_on_delete=False,
        import_id="",
        dependencies=[],
        property_dependencies={},
        inputs=props,
        outputs=dict(props),
    )
    return Plan(plan.stack, [*plan.registrations, added], plan.outputs)


def edit_document(key: str, change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    """Edits a JSON policy document held in property ``key``."""

    def apply(props: dict[str, Any]) -> None:
        document = json.loads(props[key])
        change(document)
        props[key] = json.dumps(document)

    return apply


def _walk(props: dict[str, Any], path: str) -> tuple[Any, str | int]:
    """The container holding a dotted path's last part (list indexes as numbers), and that part."""
    *parents, last = path.split(".")
    target: Any = props
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    return target, int(last) if last.isdigit() else last


def setter(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(props: dict[str, Any]) -> None:
        target, key = _walk(props, path)
        target[key] = value

    return apply


def dropping(path: str) -> Callable[[dict[str, Any]], None]:
    def apply(props: dict[str, Any]) -> None:
        target, key = _walk(props, path)
        target.pop(key)

    return apply


def variable(key: str) -> dict[str, Any]:
    return {"key": key, "value": "x", "sensitive": False, "targets": ["production"], "projectId": "prj"}


def lifecycle_without_abort(props: dict[str, Any]) -> None:
    props["rules"] = [r for r in props["rules"] if "abortIncompleteMultipartUpload" not in r]
