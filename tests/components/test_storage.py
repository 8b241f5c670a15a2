"""The storage component's safety properties, asserted on what the program sends the engine."""

from __future__ import annotations

from typing import Any

import pytest

from components.storage import CORS_S3_ORIGIN_REQUEST_POLICY_ID, PUBLIC_READ_UNTIL_TAG, log_lifecycle_days
from preview.plan import Plan
from stack_config import (
    BUCKET_ROLES,
    CDN_ROLES,
    CUTOVER_ROLES,
    DATA_BUCKET_ROLES,
    LOG_BUCKET_ROLE,
    PROD_BUCKET_NAMES,
    PROD_CDN_DOMAINS,
)
from stack_config.loader import offline_stack_config
from tests.plan_queries import BUCKET, ancestors, as_list, bucket, setting_of, statements
from tests.program_runs import run_program

ALL_ROLES = BUCKET_ROLES
# The media buckets prod's stack file keeps readable until a date (mediaPublicReadUntil).
PROD_IN_CUTOVER = tuple(offline_stack_config("prod").storage.public_read_until)
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
APP_ORIGINS = {
    "dev": ["https://dev.newcool.io", "http://localhost:3000"],
    "prod": ["https://newcool.io", "https://www.newcool.io"],
}


def distribution(plan: Plan, role: str) -> dict[str, Any]:
    return plan.named(DISTRIBUTION, f"{role}-distribution").props


def distribution_arn(plan: Plan, role: str) -> str:
    return str(plan.named(DISTRIBUTION, f"{role}-distribution").outputs["arn"])


def bucket_policy(plan: Plan, role: str) -> dict[str, Any]:
    return setting_of(plan, "aws:s3/bucketPolicy:BucketPolicy", role).json_input("policy")


@pytest.fixture(scope="module")
def prod_after_cutover() -> Plan:
    """Prod once the app serves CloudFront URLs only (no mediaPublicReadUntil)."""
    return run_program("prod", {"mediaPublicReadUntil": None})


@pytest.fixture(params=["dev", "prod-after-cutover"])
def private_plan(request: pytest.FixtureRequest, dev_plan: Plan, prod_after_cutover: Plan) -> Plan:
    return dev_plan if request.param == "dev" else prod_after_cutover


def in_cutover(plan: Plan, role: str) -> bool:
    return PUBLIC_READ_UNTIL_TAG in bucket(plan, role).props["tags"]


@pytest.mark.parametrize("role", ALL_ROLES)
def test_every_bucket_is_private_owner_enforced_and_encrypted_in_us_east_2(private_plan: Plan, role: str) -> None:
    plan = private_plan
    assert bucket(plan, role).props["region"] == "us-east-2"
    assert bucket(plan, role).props["forceDestroy"] is False
    block = setting_of(plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", role).props
    for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
        assert block[flag] is True, flag
    ownership = setting_of(plan, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", role).props
    assert ownership["rule"]["objectOwnership"] == "BucketOwnerEnforced"
    encryption = setting_of(
        plan, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", role
    ).props
    assert encryption["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"


@pytest.mark.parametrize("role", ALL_ROLES)
def test_every_bucket_policy_denies_plain_http_on_bucket_and_objects(plan: Plan, role: str) -> None:
    arn = bucket(plan, role).outputs["arn"]
    denies = [
        s
        for s in statements(bucket_policy(plan, role))
        if s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
    ]
    assert len(denies) == 1
    assert denies[0]["Principal"] == "*"
    assert denies[0]["Action"] == "s3:*"
    assert set(as_list(denies[0]["Resource"])) == {arn, f"{arn}/*"}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_no_bucket_policy_allows_anyone_or_grants_without_a_source_condition(private_plan: Plan, role: str) -> None:
    plan = private_plan
    for statement in statements(bucket_policy(plan, role)):
        if statement["Effect"] != "Allow":
            continue
        principal = statement["Principal"]
        assert principal != "*" and principal != {"AWS": "*"}, statement
        assert "Service" in principal, statement
        condition = statement["Condition"]
        # IAM condition keys are case-insensitive (AWS:SourceArn == aws:SourceArn).
        keys = {key.lower() for values in condition.values() for key in values}
        assert "aws:sourcearn" in keys, statement


@pytest.mark.parametrize("role", CDN_ROLES)
def test_cdn_buckets_are_readable_only_by_their_own_distribution(private_plan: Plan, role: str) -> None:
    plan = private_plan
    grants = [s for s in statements(bucket_policy(plan, role)) if s["Effect"] == "Allow"]
    assert len(grants) == 1
    grant = grants[0]
    assert grant["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert grant["Action"] == "s3:GetObject"
    assert grant["Resource"] == f"{bucket(plan, role).outputs['arn']}/*"
    assert grant["Condition"] == {"StringEquals": {"AWS:SourceArn": distribution_arn(plan, role)}}
    other = next(r for r in CDN_ROLES if r != role)
    assert distribution_arn(plan, other) not in str(grant)


def test_buckets_cloudfront_does_not_serve_grant_it_nothing(plan: Plan) -> None:
    for role in (role for role in BUCKET_ROLES if role not in CDN_ROLES):
        assert "cloudfront.amazonaws.com" not in str(bucket_policy(plan, role))


@pytest.mark.parametrize("role", ALL_ROLES)
def test_bucket_settings_are_ordered_bucket_then_public_access_block_then_policy(private_plan: Plan, role: str) -> None:
    plan = private_plan
    the_bucket = bucket(plan, role)
    block = setting_of(plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", role)
    policy = setting_of(plan, "aws:s3/bucketPolicy:BucketPolicy", role)
    assert the_bucket.urn in block.dependencies
    assert {the_bucket.urn, block.urn} <= ancestors(plan, policy)
    # Every other setting of the bucket also waits for its predecessor: none run concurrently.
    settings = [
        r
        for r in plan
        if r.type.startswith("aws:s3/bucket")
        and r.type != BUCKET
        and r.props.get("bucket") == the_bucket.props["bucket"]
    ]
    chains = {r.urn: ancestors(plan, r) for r in settings}
    for first in settings:
        for second in settings:
            if first is not second:
                assert first.urn in chains[second.urn] or second.urn in chains[first.urn], (first.name, second.name)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_every_bucket_is_versioned_and_expires_noncurrent_versions(plan: Plan, role: str) -> None:
    versioning = setting_of(plan, "aws:s3/bucketVersioning:BucketVersioning", role).props
    assert versioning["versioningConfiguration"]["status"] == "Enabled"
    rules = setting_of(plan, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", role).props["rules"]
    # Logs: a deleted or overwritten log stays recoverable for 30 days (half a short retention).
    expected_days = {"dev": 15, "prod": 30} if role == LOG_BUCKET_ROLE else {"dev": 7, "prod": 90}
    noncurrent = [r for r in rules if "noncurrentVersionExpiration" in r]
    assert [r["noncurrentVersionExpiration"]["noncurrentDays"] for r in noncurrent] == [expected_days[plan.stack]]
    assert all(r["status"] == "Enabled" for r in rules)


def test_logs_are_kept_for_the_retention_in_all_not_twice_it(plan: Plan) -> None:
    """In a versioned bucket an expiration adds a delete marker and the log lives on as a
    noncurrent version: the current and noncurrent days together must be the retention."""
    retention = {"dev": 30, "prod": 365}[plan.stack]
    rules = setting_of(plan, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "logs").props["rules"]
    expire = next(r for r in rules if r["id"] == "expire-logs")
    assert expire["expiration"]["days"] + expire["noncurrentVersionExpiration"]["noncurrentDays"] == retention
    markers = next(r for r in rules if r["id"] == "remove-expired-delete-markers")
    assert markers["expiration"] == {"expiredObjectDeleteMarker": True}


@pytest.mark.parametrize(("retention", "expected"), [(2, (1, 1)), (30, (15, 15)), (90, (60, 30)), (3650, (3620, 30))])
def test_the_log_split_always_adds_up_and_keeps_a_recovery_window(retention: int, expected: tuple[int, int]) -> None:
    assert log_lifecycle_days(retention) == expected


def test_the_log_bucket_has_no_object_lock_since_server_access_logs_cannot_target_one(plan: Plan) -> None:
    assert "objectLockEnabled" not in bucket(plan, "logs").props
    locks = plan.of_type("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert sorted(lock.name for lock in locks) == ["backups-object-lock", "evidence-object-lock"]


def test_uploads_abort_incomplete_multipart_uploads(plan: Plan) -> None:
    rules = setting_of(plan, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "uploads").props
    aborts = [r for r in rules["rules"] if "abortIncompleteMultipartUpload" in r]
    assert [r["abortIncompleteMultipartUpload"]["daysAfterInitiation"] for r in aborts] == [7]
    assert aborts[0]["filter"] == {"prefix": ""}


def cors_rule(plan: Plan, role: str) -> dict[str, Any]:
    (rule,) = setting_of(plan, "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration", role).props["corsRules"]
    return dict(rule)


def test_uploads_cors_takes_browser_writes_from_the_app_origins_only(plan: Plan) -> None:
    rule = cors_rule(plan, "uploads")
    assert rule["allowedOrigins"] == APP_ORIGINS[plan.stack]
    assert set(rule["allowedMethods"]) == {"PUT", "POST"}
    assert "*" not in rule["allowedHeaders"]


@pytest.mark.parametrize("role", CDN_ROLES)
def test_media_and_assets_answer_cross_origin_reads_from_the_app_origins_only(plan: Plan, role: str) -> None:
    rule = cors_rule(plan, role)
    assert rule["allowedOrigins"] == APP_ORIGINS[plan.stack]
    assert set(rule["allowedMethods"]) == {"GET", "HEAD"}, "media buckets never take browser writes"
    assert "*" not in rule["allowedHeaders"]
    # A player seeking needs Range in, Content-Range and Accept-Ranges out.
    assert "range" in rule["allowedHeaders"]
    assert {"Content-Range", "Accept-Ranges"} <= set(rule["exposeHeaders"])


def test_the_log_bucket_answers_no_cors(plan: Plan) -> None:
    name = bucket(plan, "logs").props["bucket"]
    cors = plan.of_type("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration")
    assert all(c.props["bucket"] != name for c in cors)


@pytest.mark.parametrize("role", CDN_ROLES)
def test_distributions_use_origin_access_control_and_https(plan: Plan, role: str) -> None:
    props = distribution(plan, role)
    (origin,) = props["origins"]
    oac = plan.named("aws:cloudfront/originAccessControl:OriginAccessControl", f"{role}-oac")
    assert origin["originAccessControlId"] == oac.id
    assert oac.props["signingBehavior"] == "always"
    assert oac.props["signingProtocol"] == "sigv4"
    assert oac.props["originAccessControlOriginType"] == "s3"
    assert "s3OriginConfig" not in origin, "an S3 origin with OAC must not use an origin access identity"
    assert origin["domainName"] == bucket(plan, role).outputs["bucketRegionalDomainName"]
    behavior = props["defaultCacheBehavior"]
    assert behavior["viewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["compress"] is True
    assert behavior["cachePolicyId"] == plan.named("aws:cloudfront/cachePolicy:CachePolicy", "cdn-cache-per-origin").id
    assert behavior["originRequestPolicyId"] == CORS_S3_ORIGIN_REQUEST_POLICY_ID
    headers = plan.named("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy", "cdn-cors-and-security-headers")
    assert behavior["responseHeadersPolicyId"] == headers.id
    assert "GET" in behavior["allowedMethods"]
    assert props["httpVersion"] == "http2and3"
    assert props["isIpv6Enabled"] is True
    assert props["priceClass"] == {"dev": "PriceClass_100", "prod": "PriceClass_200"}[plan.stack]


def test_the_cdn_caches_per_origin_so_one_origins_cors_answer_never_reaches_another(plan: Plan) -> None:
    policy = plan.named("aws:cloudfront/cachePolicy:CachePolicy", "cdn-cache-per-origin").props
    key = policy["parametersInCacheKeyAndForwardedToOrigin"]
    assert key["headersConfig"] == {"headerBehavior": "whitelist", "headers": {"items": ["Origin"]}}
    # Nothing user-controlled beyond Origin splits the cache (cookies and query strings stay out).
    assert key["cookiesConfig"] == {"cookieBehavior": "none"}
    assert key["queryStringsConfig"] == {"queryStringBehavior": "none"}
    assert key["enableAcceptEncodingBrotli"] is True and key["enableAcceptEncodingGzip"] is True


def test_the_cdn_sends_cors_for_the_app_origins_only_and_keeps_the_security_headers(plan: Plan) -> None:
    policy = plan.named(
        "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy", "cdn-cors-and-security-headers"
    ).props
    cors = policy["corsConfig"]
    assert cors["accessControlAllowOrigins"]["items"] == APP_ORIGINS[plan.stack]
    assert "*" not in cors["accessControlAllowOrigins"]["items"]
    assert cors["accessControlAllowCredentials"] is False
    assert set(cors["accessControlAllowMethods"]["items"]) == {"GET", "HEAD", "OPTIONS"}
    # The edge's answer replaces whatever a cached S3 response carried.
    assert cors["originOverride"] is True
    security = policy["securityHeadersConfig"]
    # The managed SecurityHeadersPolicy's headers, as before the CORS change.
    assert security["strictTransportSecurity"]["accessControlMaxAgeSec"] == 31_536_000
    assert security["frameOptions"]["frameOption"] == "SAMEORIGIN"
    assert security["referrerPolicy"]["referrerPolicy"] == "strict-origin-when-cross-origin"
    assert security["xssProtection"] == {"protection": True, "modeBlock": True, "override": False}
    assert "contentTypeOptions" in security


@pytest.mark.parametrize("role", PROD_IN_CUTOVER)
def test_during_the_cutover_media_stay_readable_by_a_policy_statement_until_the_date(
    prod_plan: Plan, role: str
) -> None:
    assert bucket(prod_plan, role).props["tags"][PUBLIC_READ_UNTIL_TAG] == "2027-02-28"
    block = setting_of(prod_plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", role).props
    # ACLs stay blocked: the one way in is the policy statement, which the pack holds to its date.
    assert (block["blockPublicAcls"], block["ignorePublicAcls"]) == (True, True)
    assert (block["blockPublicPolicy"], block["restrictPublicBuckets"]) == (False, False)
    public = [
        s for s in statements(bucket_policy(prod_plan, role)) if s.get("Principal") == "*" and s["Effect"] == "Allow"
    ]
    arn = bucket(prod_plan, role).outputs["arn"]
    assert public == [
        {"Sid": "PublicReadUntil20270228", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": f"{arn}/*"}
    ]  # fmt: skip
    # CloudFront's own grant and the TLS deny stay.
    assert any(
        s.get("Principal") == {"Service": "cloudfront.amazonaws.com"}
        for s in statements(bucket_policy(prod_plan, role))
    )
    ownership = setting_of(prod_plan, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", role).props
    assert ownership["rule"]["objectOwnership"] == "BucketOwnerEnforced"


@pytest.mark.parametrize("role", PROD_IN_CUTOVER)
def test_in_the_cutover_the_public_read_policy_lands_before_acls_stop_counting(prod_plan: Plan, role: str) -> None:
    """BucketOwnerEnforced and ignore_public_acls take effect at once: an object public today
    through its ACL answers 403 from then on unless the public-read statement is already there."""
    the_bucket = bucket(prod_plan, role)
    policy = setting_of(prod_plan, "aws:s3/bucketPolicy:BucketPolicy", role)
    assert any(str(s.get("Sid", "")).startswith("PublicReadUntil") for s in statements(policy.json_input("policy")))
    for setting in (
        "bucketPublicAccessBlock:BucketPublicAccessBlock",
        "bucketOwnershipControls:BucketOwnershipControls",
    ):
        assert policy.urn in ancestors(prod_plan, setting_of(prod_plan, f"aws:s3/{setting}", role)), setting
    # Nothing slow opens a gap: the policy waits for the bucket alone (no distribution, no
    # certificate validation), so an `up` that stops anywhere leaves today's URLs working.
    assert ancestors(prod_plan, policy) == {the_bucket.urn}
    assert all(deps == [the_bucket.urn] or not deps for deps in policy.property_dependencies.values())


@pytest.mark.parametrize("role", PROD_IN_CUTOVER)
def test_in_the_cutover_cloudfront_reads_as_this_accounts_distributions(prod_plan: Plan, role: str) -> None:
    grant = next(
        s
        for s in statements(bucket_policy(prod_plan, role))
        if s.get("Principal") == {"Service": "cloudfront.amazonaws.com"}
    )
    assert grant["Condition"] == {
        "StringEquals": {"AWS:SourceAccount": "123456789012"},
        "ArnLike": {"AWS:SourceArn": "arn:aws:cloudfront::123456789012:distribution/*"},
    }


def test_roles_outside_the_cutover_are_never_in_one(prod_plan: Plan) -> None:
    for role in (role for role in BUCKET_ROLES if role not in CUTOVER_ROLES):
        assert not in_cutover(prod_plan, role)
        block = setting_of(prod_plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", role).props
        assert all(
            block[f] is True
            for f in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        )


def test_no_origin_access_identity_exists(plan: Plan) -> None:
    assert plan.of_type("aws:cloudfront/originAccessIdentity:OriginAccessIdentity") == []


@pytest.mark.parametrize("role", CDN_ROLES)
def test_prod_custom_domains_use_a_validated_us_east_1_certificate_and_modern_tls(prod_plan: Plan, role: str) -> None:
    props = distribution(prod_plan, role)
    domain = PROD_CDN_DOMAINS[role]
    assert props["aliases"] == [domain]
    certificate = prod_plan.named("aws:acm/certificate:Certificate", f"{role}-certificate")
    assert certificate.props["region"] == "us-east-1"
    assert certificate.props["validationMethod"] == "DNS"
    assert certificate.props["domainName"] == domain
    validation = prod_plan.named(
        "aws:acm/certificateValidation:CertificateValidation", f"{role}-certificate-validation"
    )
    assert validation.props["region"] == "us-east-1"
    viewer = props["viewerCertificate"]
    assert viewer["acmCertificateArn"] == validation.props["certificateArn"] == certificate.outputs["arn"]
    assert viewer["sslSupportMethod"] == "sni-only"
    assert viewer["minimumProtocolVersion"] == "TLSv1.2_2021"
    aliases = [r for r in prod_plan.of_type("aws:route53/record:Record") if r.props["name"] == domain]
    assert sorted(r.props["type"] for r in aliases) == ["A", "AAAA"]


def test_dev_without_custom_domain_uses_the_cloudfront_certificate(dev_plan: Plan) -> None:
    for role in CDN_ROLES:
        props = distribution(dev_plan, role)
        assert props["viewerCertificate"] == {"cloudfrontDefaultCertificate": True}
        assert props.get("aliases", []) == []
    assert dev_plan.of_type("aws:acm/certificate:Certificate") == []


@pytest.mark.parametrize("role", DATA_BUCKET_ROLES)
def test_data_buckets_log_access_into_the_log_bucket(plan: Plan, role: str) -> None:
    logging = setting_of(plan, "aws:s3/bucketLogging:BucketLogging", role).props
    assert logging["targetBucket"] == bucket(plan, "logs").props["bucket"]
    assert logging["targetPrefix"] == f"s3/{role}/"
    log_policy = bucket_policy(plan, "logs")
    grant = next(s for s in statements(log_policy) if s["Principal"] == {"Service": "logging.s3.amazonaws.com"})
    assert bucket(plan, role).outputs["arn"] in grant["Condition"]["ArnLike"]["aws:SourceArn"]
    assert grant["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"


@pytest.mark.parametrize("role", CDN_ROLES)
def test_distributions_deliver_access_logs_to_the_log_bucket(plan: Plan, role: str) -> None:
    source = plan.named("aws:cloudwatch/logDeliverySource:LogDeliverySource", f"{role}-cloudfront-log-source")
    assert source.props["resourceArn"] == distribution_arn(plan, role)
    assert source.props["logType"] == "ACCESS_LOGS"
    assert source.props["region"] == "us-east-1"
    destination = plan.named(
        "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination", f"{role}-cloudfront-log-destination"
    )
    target = destination.props["deliveryDestinationConfiguration"]["destinationResourceArn"]
    assert target == f"{bucket(plan, 'logs').outputs['arn']}/cloudfront/{role}"
    delivery = plan.named("aws:cloudwatch/logDelivery:LogDelivery", f"{role}-cloudfront-log-delivery")
    assert delivery.props["deliverySourceName"] == source.props["name"]
    assert delivery.props["deliveryDestinationArn"] == destination.outputs["arn"]


def test_prod_uses_the_seed_bucket_names_and_dev_never_does(prod_plan: Plan, dev_plan: Plan) -> None:
    for role, name in PROD_BUCKET_NAMES.items():
        assert bucket(prod_plan, role).props["bucket"] == name
    dev_names = {bucket(dev_plan, role).props["bucket"] for role in ALL_ROLES}
    assert dev_names.isdisjoint(PROD_BUCKET_NAMES.values())


def test_prod_buckets_survive_destroy_and_rename(prod_plan: Plan) -> None:
    for role in ALL_ROLES:
        registration = bucket(prod_plan, role)
        assert registration.protect, role
        assert registration.retain_on_delete, role


def test_dev_buckets_are_not_protected(dev_plan: Plan) -> None:
    assert not any(bucket(dev_plan, role).protect for role in ALL_ROLES)


def test_prod_adopts_the_existing_data_buckets_by_import(prod_plan: Plan) -> None:
    adopted = offline_stack_config("prod").storage.import_buckets
    # The seed's live data buckets are imported; a bucket new to the platform is created.
    assert set(adopted) >= {"cdn", "assets", "uploads"}
    for role in BUCKET_ROLES:
        expected = PROD_BUCKET_NAMES[role] if role in adopted else ""
        assert bucket(prod_plan, role).import_id == expected, role
    assert bucket(prod_plan, LOG_BUCKET_ROLE).import_id == ""


def test_dev_creates_its_buckets_unless_told_to_adopt_one(dev_plan: Plan) -> None:
    assert all(bucket(dev_plan, role).import_id == "" for role in ALL_ROLES)
    adopted = run_program("dev", {"adopt": {"buckets": {"uploads": "newcool-dev-uploads"}}})
    assert bucket(adopted, "uploads").import_id == "newcool-dev-uploads"
    assert bucket(adopted, "cdn").import_id == ""


def test_every_storage_resource_is_parented_to_the_component(plan: Plan) -> None:
    component = plan.named("newcool:storage:MediaStorage", "media")
    vaults = {r.urn for r in plan.of_type("newcool:vault:LockedVault")}
    storage_types = ("aws:s3/", "aws:cloudfront/", "aws:acm/", "aws:cloudwatch/logDelivery")
    for registration in plan:
        if registration.type.startswith(storage_types) and registration.parent not in vaults:
            assert registration.parent == component.urn, registration.name


def test_stack_outputs_name_the_buckets_and_cdn_urls(prod_plan: Plan) -> None:
    assert prod_plan.outputs["bucketNames"]["cdn"] == "newcool-streaming-platform-cdn"
    assert prod_plan.outputs["cdnUrls"] == {role: f"https://{PROD_CDN_DOMAINS[role]}" for role in CDN_ROLES}


@pytest.mark.parametrize("role", CDN_ROLES)
def test_log_deliveries_wait_for_the_log_bucket_to_admit_them(plan: Plan, role: str) -> None:
    delivery = plan.named("aws:cloudwatch/logDelivery:LogDelivery", f"{role}-cloudfront-log-delivery")
    assert setting_of(plan, "aws:s3/bucketPolicy:BucketPolicy", "logs").urn in delivery.dependencies
