"""What the CloudFront distributions of the media storage share: the cache and response headers
policies, and each one's certificate. Declared under the storage component (``parent``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from stack_config import BucketRole, CdnDomains

# The managed CachingOptimized policy's TTLs (seconds), kept by this project's per-origin policy.
CACHE_TTLS = {"min_ttl": 1, "default_ttl": 86_400, "max_ttl": 31_536_000}
# What a media player or font loader may read cross-origin from a response.
CORS_EXPOSE_HEADERS = ("Content-Length", "Content-Range", "Accept-Ranges", "ETag")
CORS_MAX_AGE_SECONDS = 3000
# CloudFront's ACM certificates and its log delivery sources live in us-east-1.
GLOBAL_REGION = "us-east-1"
MIN_TLS_VERSION = "TLSv1.2_2021"


def edge_policies(
    parent: pulumi.Resource, environment: str, app_origins: Sequence[str]
) -> tuple[aws.cloudfront.CachePolicy, aws.cloudfront.ResponseHeadersPolicy]:
    """What every distribution shares: a cache keyed per Origin (S3's CORS answer depends on
    it, so one origin's cached answer never reaches another) and the response headers."""
    cache_policy = aws.cloudfront.CachePolicy(
        "cdn-cache-per-origin",
        name=f"newcool-{environment}-cache-per-origin",
        comment="CachingOptimized, with the Origin header in the cache key for CORS",
        **CACHE_TTLS,
        parameters_in_cache_key_and_forwarded_to_origin={
            "cookies_config": {"cookie_behavior": "none"},
            "headers_config": {"header_behavior": "whitelist", "headers": {"items": ["Origin"]}},
            "query_strings_config": {"query_string_behavior": "none"},
            "enable_accept_encoding_brotli": True,
            "enable_accept_encoding_gzip": True,
        },
        opts=pulumi.ResourceOptions(parent=parent),
    )
    # The managed CORS response header policies admit every origin ("*"); this one admits
    # the app's origins only, with the headers of the managed SecurityHeadersPolicy.
    response_headers_policy = aws.cloudfront.ResponseHeadersPolicy(
        "cdn-cors-and-security-headers",
        name=f"newcool-{environment}-cors-and-security-headers",
        comment="CORS for the app's origins plus the managed SecurityHeadersPolicy's headers",
        cors_config={
            "access_control_allow_credentials": False,
            "access_control_allow_headers": {"items": ["range"]},
            "access_control_allow_methods": {"items": ["GET", "HEAD", "OPTIONS"]},
            "access_control_allow_origins": {"items": list(app_origins)},
            "access_control_expose_headers": {"items": list(CORS_EXPOSE_HEADERS)},
            "access_control_max_age_sec": CORS_MAX_AGE_SECONDS,
            "origin_override": True,
        },
        security_headers_config={
            "content_type_options": {"override": False},
            "frame_options": {"frame_option": "SAMEORIGIN", "override": False},
            "referrer_policy": {"referrer_policy": "strict-origin-when-cross-origin", "override": False},
            "strict_transport_security": {"access_control_max_age_sec": 31_536_000, "override": False},
            "xss_protection": {"protection": True, "mode_block": True, "override": False},
        },
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return cache_policy, response_headers_policy


def viewer_certificate(
    parent: pulumi.Resource, role: BucketRole, domains: CdnDomains | None, tags: Mapping[str, str]
) -> tuple[list[str], aws.cloudfront.DistributionViewerCertificateArgsDict]:
    """The distribution's aliases and certificate: CloudFront's own, or an ACM certificate for the
    custom domain (us-east-1, DNS-validated in the stack's zone)."""
    if domains is None:
        return [], {"cloudfront_default_certificate": True}
    domain = domains.for_role(role)
    certificate = aws.acm.Certificate(
        f"{role}-certificate",
        domain_name=domain,
        validation_method="DNS",
        key_algorithm="EC_prime256v1",
        region=GLOBAL_REGION,
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    validation_option = certificate.domain_validation_options[0]
    record = aws.route53.Record(
        f"{role}-certificate-validation-record",
        zone_id=domains.zone_id,
        name=validation_option.resource_record_name,
        type=validation_option.resource_record_type,
        records=[validation_option.resource_record_value],
        ttl=300,
        allow_overwrite=True,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    validation = aws.acm.CertificateValidation(
        f"{role}-certificate-validation",
        certificate_arn=certificate.arn,
        validation_record_fqdns=[record.fqdn],
        region=GLOBAL_REGION,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return [domain], {
        "acm_certificate_arn": validation.certificate_arn,
        "ssl_support_method": "sni-only",
        "minimum_protocol_version": MIN_TLS_VERSION,
    }
