"""Firing cases of ``policies/guardrails/cloudfront.py``: each breaks one thing in the real prod plan."""

from __future__ import annotations

from tests.policies.breaking import (
    DISTRIBUTION,
    REGIONAL_WEB_ACL_ARN,
    WEB_ACL,
    Case,
    detached,
    dropping,
    edited,
    plus,
    setter,
    without,
)

CASES: list[Case] = [
    (
        "cloudfront-viewers-https",
        lambda p: edited(
            p, DISTRIBUTION, "cdn-distribution", setter("defaultCacheBehavior.viewerProtocolPolicy", "allow-all")
        ),
        "allows viewers 'allow-all'",
    ),
    (
        "cloudfront-s3-origin-oac",
        lambda p: edited(p, DISTRIBUTION, "assets-distribution", dropping("origins.0.originAccessControlId")),
        "has no Origin Access Control",
    ),
    (
        "cloudfront-no-origin-access-identity",
        lambda p: plus(p, "aws:cloudfront/originAccessIdentity:OriginAccessIdentity", "legacy-oai", {"comment": "old"}),
        "origin access identities are legacy",
    ),
    (
        "cloudfront-no-origin-access-identity",
        lambda p: edited(
            p,
            DISTRIBUTION,
            "cdn-distribution",
            setter("origins.0.s3OriginConfig", {"originAccessIdentity": "origin-access-identity/cloudfront/E1"}),
        ),
        "uses an origin access identity",
    ),
    (
        "cloudfront-modern-tls",
        lambda p: edited(
            p, DISTRIBUTION, "cdn-distribution", setter("viewerCertificate.minimumProtocolVersion", "TLSv1")
        ),
        "minimum viewer TLS is 'TLSv1'",
    ),
    (
        "cloudfront-modern-tls",
        lambda p: edited(p, DISTRIBUTION, "assets-distribution", setter("viewerCertificate.sslSupportMethod", "vip")),
        "must be sni-only",
    ),
    (
        "cloudfront-access-logging",
        lambda p: without(p, "aws:cloudwatch/logDeliverySource:LogDeliverySource", "cdn-cloudfront-log-source"),
        "distribution has no access logging",
    ),
    (
        "cloudfront-web-acl",
        lambda p: detached(p, DISTRIBUTION, "cdn-distribution", "webAclId"),
        "distribution has no web ACL",
    ),
    (
        "cloudfront-web-acl",
        lambda p: edited(p, WEB_ACL, "cdn-web-acl", setter("scope", "REGIONAL")),
        "has scope 'REGIONAL'; CloudFront needs CLOUDFRONT",
    ),
    (
        "cloudfront-web-acl",
        lambda p: detached(p, DISTRIBUTION, "assets-distribution", "webAclId", REGIONAL_WEB_ACL_ARN),
        "is not a CLOUDFRONT-scope web ACL ARN",
    ),
]
