"""IAM: least privilege for the app, and OIDC trust pinned to audience and subject."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from .common import Report, as_list, condition_keys, fsbp, resource_policy, statements

POLICY_TYPES = {
    "aws:iam/policy:Policy": "policy",
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
}
ROLE = "aws:iam/role:Role"
WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"
# Actions IAM cannot scope to a resource; Resource "*" is then allowed only under a condition.
NO_RESOURCE_LEVEL = ("cloudwatch:PutMetricData",)


def _no_wildcards(args: ResourceValidationArgs, report: Report) -> None:
    key = POLICY_TYPES.get(args.resource_type)
    if key is None:
        return
    for statement in statements(args.props[key]):
        if statement.get("Effect") != "Allow":
            continue
        sid = statement.get("Sid", "<no Sid>")
        for action in as_list(statement.get("Action")) + as_list(statement.get("NotAction")):
            if "*" in str(action):
                report(f"{args.name}: statement {sid} allows the wildcard action {action!r}.")
        actions = as_list(statement.get("Action"))
        unscopable = bool(actions) and all(a in NO_RESOURCE_LEVEL for a in actions) and statement.get("Condition")
        for resource in as_list(statement.get("Resource")) + as_list(statement.get("NotResource")):
            if (resource == "*" and not unscopable) or str(resource).startswith("arn:aws:s3:::*"):
                report(f"{args.name}: statement {sid} applies to every resource ({resource!r}).")


def _pinned(condition_key: str, subject: str) -> bool:
    """A subject names one workload: no wildcard, and the issuer's project/repository and stage."""
    if "*" in subject or "?" in subject:
        return False
    if condition_key.startswith("oidc.vercel.com/"):
        return ":project:" in subject and ":environment:" in subject
    if condition_key.startswith("token.actions.githubusercontent.com"):
        return subject.startswith("repo:") and (":ref:" in subject or ":environment:" in subject)
    return True


def _oidc_trust_restricted(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type != ROLE:
        return
    for statement in statements(args.props["assumeRolePolicy"]):
        if statement.get("Effect") != "Allow" or WEB_IDENTITY not in as_list(statement.get("Action")):
            continue
        conditions = list(condition_keys(statement))
        audiences = [v for op, key, v in conditions if key.endswith(":aud") and op == "StringEquals"]
        subjects = [
            (key, v) for op, key, v in conditions if key.endswith(":sub") and op in ("StringEquals", "StringLike")
        ]
        if not audiences:
            report(f"{args.name}: web-identity trust has no StringEquals condition on the token audience (aud).")
        if not subjects:
            report(f"{args.name}: web-identity trust has no condition on the token subject (sub).")
        for key, value in subjects:
            for subject in as_list(value):
                if not _pinned(key, str(subject)):
                    report(f"{args.name}: subject {subject!r} does not pin one project/repository and environment.")


POLICIES = [
    resource_policy(
        "iam-no-wildcards",
        "IAM policies allow no wildcard action and no wildcard resource.",
        "The app's credentials are reachable from its runtime; a wildcard turns a compromised function into "
        "account-wide access.",
        Severity.HIGH,
        "List the exact actions (s3:GetObject, s3:PutObject) and the exact bucket/prefix ARNs; an action "
        "with no resource-level permissions (cloudwatch:PutMetricData) needs a condition such as its namespace.",
        _no_wildcards,
        fsbp("IAM.21"),
    ),
    resource_policy(
        "iam-oidc-trust-restricted",
        "Roles assumed with web identity (OIDC) require both the token audience and a pinned subject.",
        "Without both conditions any Vercel project, team or preview deployment could assume the role.",
        Severity.CRITICAL,
        "Add StringEquals on <issuer>:aud and on <issuer>:sub = owner:<team>:project:<project>:environment:<env>.",
        _oidc_trust_restricted,
    ),
]
