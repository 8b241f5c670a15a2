"""CloudFront: HTTPS for viewers, Origin Access Control for S3, modern TLS, access logs, a web ACL."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity, StackValidationArgs

from .common import Report, as_list, fsbp, resource_policy, stack_policy

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
ORIGIN_ACCESS_IDENTITY = "aws:cloudfront/originAccessIdentity:OriginAccessIdentity"
LOG_DELIVERY_SOURCE = "aws:cloudwatch/logDeliverySource:LogDeliverySource"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
# A web ACL CloudFront accepts: scope CLOUDFRONT, which AWS creates in us-east-1 only.
CLOUDFRONT_WEB_ACL_ARN = "arn:aws:wafv2:us-east-1:"
HTTPS_POLICIES = ("redirect-to-https", "https-only")
MODERN_TLS = ("TLSv1.2_2019", "TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025")


def _viewers_https(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type != DISTRIBUTION:
        return
    behaviors = [("default", args.props.get("defaultCacheBehavior") or {})]
    behaviors += [(b.get("pathPattern", "?"), b) for b in as_list(args.props.get("orderedCacheBehaviors"))]
    for path, behavior in behaviors:
        policy = behavior.get("viewerProtocolPolicy")
        if policy not in HTTPS_POLICIES:
            report(f"{args.name}: cache behavior {path} allows viewers {policy!r}; use redirect-to-https.")


def _is_s3(origin: Mapping[str, Any]) -> bool:
    # bucket.s3.amazonaws.com and bucket.s3.<region>.amazonaws.com
    return ".s3." in str(origin.get("domainName", ""))


def _s3_origins_use_oac(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type != DISTRIBUTION:
        return
    for origin in as_list(args.props.get("origins")):
        if _is_s3(origin) and not origin.get("originAccessControlId"):
            report(f"{args.name}: S3 origin {origin.get('originId')} has no Origin Access Control.")


def _no_origin_access_identity(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type == ORIGIN_ACCESS_IDENTITY:
        report(f"{args.name}: origin access identities are legacy; use an Origin Access Control.")
    if args.resource_type == DISTRIBUTION:
        for origin in as_list(args.props.get("origins")):
            identity = (origin.get("s3OriginConfig") or {}).get("originAccessIdentity")
            if identity:
                report(f"{args.name}: origin {origin.get('originId')} uses an origin access identity.")


def _modern_tls(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type != DISTRIBUTION:
        return
    certificate = args.props.get("viewerCertificate") or {}
    if not (certificate.get("acmCertificateArn") or certificate.get("iamCertificateId")):
        return
    version = certificate.get("minimumProtocolVersion")
    if version not in MODERN_TLS:
        report(f"{args.name}: minimum viewer TLS is {version!r}; use TLSv1.2_2021 or newer.")
    if certificate.get("sslSupportMethod") != "sni-only":
        report(f"{args.name}: ssl_support_method must be sni-only (vip serves legacy clients at a monthly cost).")


def _logging(args: StackValidationArgs, report: Report) -> None:
    sources = [r for r in args.resources if r.resource_type == LOG_DELIVERY_SOURCE]
    for distribution in (r for r in args.resources if r.resource_type == DISTRIBUTION):
        if distribution.props.get("loggingConfig"):
            continue
        delivered = any(
            source.props.get("logType") == "ACCESS_LOGS"
            and (
                distribution in source.property_dependencies.get("resourceArn", [])
                or source.props.get("resourceArn") == distribution.props.get("arn")
            )
            for source in sources
        )
        if not delivered:
            report(
                "distribution has no access logging (logging_config or a CloudWatch log delivery source).",
                distribution.urn,
            )


def _web_acl(args: StackValidationArgs, report: Report) -> None:
    for distribution in (r for r in args.resources if r.resource_type == DISTRIBUTION):
        # In a preview the ARN of a web ACL being created is unknown; the dependency names it.
        acls = [d for d in distribution.property_dependencies.get("webAclId", []) if d.resource_type == WEB_ACL]
        literal = distribution.props.get("webAclId")
        if acls:
            for acl in acls:
                if acl.props.get("scope") != "CLOUDFRONT":
                    scope = acl.props.get("scope")
                    report(f"web ACL {acl.name} has scope {scope!r}; CloudFront needs CLOUDFRONT.", distribution.urn)
        elif not literal:
            report("distribution has no web ACL (web_acl_id): nothing filters or rate-limits it.", distribution.urn)
        elif not (str(literal).startswith(CLOUDFRONT_WEB_ACL_ARN) and ":global/webacl/" in str(literal)):
            report(f"web_acl_id {literal!r} is not a CLOUDFRONT-scope web ACL ARN (us-east-1).", distribution.urn)


POLICIES = [
    resource_policy(
        "cloudfront-viewers-https",
        "CloudFront serves viewers over HTTPS only (HTTP is redirected).",
        "Media and assets served over plain HTTP can be read or altered in transit.",
        Severity.HIGH,
        "Set viewer_protocol_policy='redirect-to-https' on every cache behavior.",
        _viewers_https,
        fsbp("CloudFront.3"),
    ),
    resource_policy(
        "cloudfront-s3-origin-oac",
        "CloudFront reaches S3 origins through Origin Access Control, never a public bucket.",
        "Without Origin Access Control the bucket would have to be public for CloudFront to read it.",
        Severity.HIGH,
        "Create an OriginAccessControl (s3, sigv4, always) and set origin_access_control_id on the origin.",
        _s3_origins_use_oac,
        fsbp("CloudFront.13"),
    ),
    resource_policy(
        "cloudfront-no-origin-access-identity",
        "No legacy origin access identity is declared or used.",
        "OAI is legacy: it lacks SigV4, SSE-KMS support and per-distribution scoping; OAC replaces it.",
        Severity.MEDIUM,
        "Replace the origin access identity with an Origin Access Control.",
        _no_origin_access_identity,
        fsbp("CloudFront.13"),
    ),
    resource_policy(
        "cloudfront-modern-tls",
        "Distributions with a custom certificate use SNI and TLS 1.2 (2021 policy) or newer.",
        "Older TLS policies allow protocol versions and ciphers with known weaknesses.",
        Severity.HIGH,
        "Set minimum_protocol_version='TLSv1.2_2021' and ssl_support_method='sni-only'.",
        _modern_tls,
        fsbp("CloudFront.15"),
    ),
    stack_policy(
        "cloudfront-access-logging",
        "Every distribution delivers access logs.",
        "Access logs are the only record of who downloaded what from the CDN, needed for abuse and incident "
        "investigation.",
        Severity.MEDIUM,
        "Add a cloudwatch.LogDeliverySource (ACCESS_LOGS, us-east-1) with a delivery to the log bucket.",
        _logging,
        fsbp("CloudFront.5"),
    ),
    stack_policy(
        "cloudfront-web-acl",
        "Every distribution sits behind an AWS WAF web ACL of scope CLOUDFRONT.",
        "Without a web ACL anyone can scrape the catalogue, flood the CDN or probe it with exploit payloads, and "
        "nothing limits a single client.",
        Severity.MEDIUM,
        "Pass the web ACL of components.firewall (managed rule groups and a per-IP rate limit) as web_acl_id.",
        _web_acl,
        fsbp("CloudFront.6"),
    ),
]
