"""Media storage: one private S3 bucket in us-east-2 per role of the bucket role table
(``stack_config.vocabulary.BUCKET_TABLE``), the log bucket among them, and CloudFront.

Secure by default, with no flag for a caller to forget: every bucket blocks public access,
disables ACLs, encrypts at rest and refuses plain HTTP. The CDN-served roles are read only by
their own CloudFront distribution through Origin Access Control, behind the web ACL the caller
passes; the other data buckets are reached only through presigned URLs. CORS admits the app's
origins only: PUT/POST on the upload buckets, GET/HEAD on the CDN-served ones (hls.js-style
players, Web Audio and web fonts read media cross-origin). The log bucket is versioned, so a
deleted or overwritten log survives as a noncurrent version for the whole retention period.

The one exception, time-boxed: while the app still hands out direct S3 URLs, a cut-over role
may stay readable by anyone until a date (``mediaPublicReadUntil``): by a bucket policy
statement (never ACLs), with only the two policy-related public access flags lowered. The
bucket is tagged with the date, so the policy pack can hold the stack to it. That policy lands
right after the bucket, before the ownership and public access settings that stop ACLs from
counting, so no URL that works today ever answers 403, wherever an `up` stops.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import policy_documents as docs
from components.adoption import BUCKET_CHANGES, adopting
from components.cdn import CORS_EXPOSE_HEADERS, CORS_MAX_AGE_SECONDS, GLOBAL_REGION, edge_policies, viewer_certificate
from stack_config import (
    BUCKET_ROLES,
    CDN_ROLES,
    DATA_BUCKET_ROLES,
    LOG_BUCKET_ROLE,
    STORAGE_REGION,
    UPLOAD_ROLES,
    BucketRole,
    StorageConfig,
)

# AWS managed policy (a stable id, the same in every account; CloudFront Developer Guide,
# "Use managed origin request policies"). Managed-CORS-S3Origin forwards Origin,
# Access-Control-Request-Method and Access-Control-Request-Headers to S3.
CORS_S3_ORIGIN_REQUEST_POLICY_ID = "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf"
# The tag that carries a media bucket's public-read end date (read by the policy pack).
PUBLIC_READ_UNTIL_TAG = "newcool:public-read-until"
S3_LOG_PREFIX = "s3/"
CLOUDFRONT_LOG_PREFIX = "cloudfront/"


# How long a deleted or overwritten log stays recoverable (as a noncurrent version), at most.
LOG_RECOVERY_WINDOW_DAYS = 30


def log_lifecycle_days(retention_days: int) -> tuple[int, int]:
    """(days a log stays current, days it then stays recoverable): together the retention.

    The recoverable part is also how long a log someone deletes or overwrites can be restored:
    up to 30 days, and half the retention when that is shorter.
    """
    recoverable = max(1, min(LOG_RECOVERY_WINDOW_DAYS, retention_days // 2))
    return retention_days - recoverable, recoverable


@dataclass(frozen=True)
class StorageArgs:
    config: StorageConfig
    environment: str
    # Prod: data buckets survive `pulumi destroy` and refuse replacement (a rename).
    protect_data: bool
    tags: Mapping[str, str]
    # The CLOUDFRONT-scope web ACL every distribution sits behind (components.firewall).
    web_acl_arn: pulumi.Input[str]


@dataclass
class _SecureBucket:
    bucket: aws.s3.Bucket
    # The last bucket setting declared; the next one waits for it (S3 rejects concurrent changes).
    last_setting: pulumi.Resource


class MediaStorage(pulumi.ComponentResource):
    buckets: dict[BucketRole, aws.s3.Bucket]
    distributions: dict[BucketRole, aws.cloudfront.Distribution]
    cdn_urls: dict[BucketRole, pulumi.Output[str]]

    def __init__(self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("newcool:storage:MediaStorage", name, None, opts)
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id

        secured = {role: self._secure_bucket(role, account_id) for role in BUCKET_ROLES}
        self.buckets = {role: item.bucket for role, item in secured.items()}
        for role in BUCKET_ROLES:
            secured[role].last_setting = self._versioning(role, secured[role])
        self._lifecycles(secured)
        for role in UPLOAD_ROLES:
            secured[role].last_setting = self._cors(secured[role], role, ["PUT", "POST"])
        for role in CDN_ROLES:
            secured[role].last_setting = self._cors(secured[role], role, ["GET", "HEAD"])
        # The log bucket must admit the logging service before any bucket points its logs there.
        logs_policy = self._logs_bucket_policy(secured[LOG_BUCKET_ROLE], account_id)
        self._logs_policy = logs_policy
        for role in DATA_BUCKET_ROLES:
            secured[role].last_setting = aws.s3.BucketLogging(
                f"{role}-access-logging",
                bucket=secured[role].bucket.id,
                region=STORAGE_REGION,
                target_bucket=self.buckets[LOG_BUCKET_ROLE].id,
                target_prefix=f"{S3_LOG_PREFIX}{role}/",
                opts=pulumi.ResourceOptions(parent=self, depends_on=[secured[role].last_setting, logs_policy]),
            )

        cache_policy, response_headers_policy = edge_policies(self, args.environment, args.config.app_origins)
        self.distributions = {
            role: self._distribution(role, cache_policy, response_headers_policy) for role in CDN_ROLES
        }
        for role in CDN_ROLES:
            self._cloudfront_logging(role, self.distributions[role])
        self.cdn_urls = {
            role: (
                pulumi.Output.from_input(f"https://{args.config.cdn_domains.for_role(role)}")
                if args.config.cdn_domains
                else self.distributions[role].domain_name.apply(lambda host: f"https://{host}")
            )
            for role in CDN_ROLES
        }

        for role in DATA_BUCKET_ROLES:
            self._data_bucket_policy(role, secured[role])

        self.register_outputs(
            {
                "bucketNames": {role: bucket.bucket for role, bucket in self.buckets.items()},
                "cdnUrls": self.cdn_urls,
            }
        )

    def _after(self, resource: pulumi.Resource) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, depends_on=[resource])

    def _secure_bucket(self, role: BucketRole, account_id: pulumi.Output[str]) -> _SecureBucket:
        config = self._args.config
        name = config.bucket_names[role]
        public_until = config.public_read_until.get(role)
        transition_tags = {PUBLIC_READ_UNTIL_TAG: public_until.isoformat()} if public_until else {}
        bucket = aws.s3.Bucket(
            role,
            bucket=name,
            region=STORAGE_REGION,
            force_destroy=False,
            tags={**self._args.tags, "newcool:bucket-role": role, **transition_tags},
            opts=pulumi.ResourceOptions.merge(
                pulumi.ResourceOptions(
                    parent=self, protect=self._args.protect_data, retain_on_delete=self._args.protect_data
                ),
                adopting(config.import_buckets.get(role), BUCKET_CHANGES),
            ),
        )
        # In a cut-over, objects public today through their ACLs stay readable only if the
        # public-read statement is in place before BucketOwnerEnforced and ignore_public_acls
        # land (both take effect at once): the policy comes first, and the rest waits for it.
        first: pulumi.Resource = bucket
        if public_until is not None:
            first = self._cutover_policy(role, bucket, account_id, public_until.isoformat())
        public_access_block = aws.s3.BucketPublicAccessBlock(
            f"{role}-public-access-block",
            bucket=bucket.id,
            region=STORAGE_REGION,
            block_public_acls=True,
            # Lowered only while a cut-over keeps anonymous reads through the bucket policy.
            block_public_policy=public_until is None,
            ignore_public_acls=True,
            restrict_public_buckets=public_until is None,
            opts=self._after(first),
        )
        ownership = aws.s3.BucketOwnershipControls(
            f"{role}-ownership",
            bucket=bucket.id,
            region=STORAGE_REGION,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=self._after(public_access_block),
        )
        # SSE-S3: S3 server access logging cannot write into an SSE-KMS bucket, and CloudFront
        # OAC reads SSE-S3 objects without a key policy.
        encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{role}-encryption",
            bucket=bucket.id,
            region=STORAGE_REGION,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
            opts=self._after(ownership),
        )
        return _SecureBucket(bucket=bucket, last_setting=encryption)

    def _versioning(self, role: BucketRole, secured: _SecureBucket) -> pulumi.Resource:
        return aws.s3.BucketVersioning(
            f"{role}-versioning",
            bucket=secured.bucket.id,
            region=STORAGE_REGION,
            versioning_configuration={"status": "Enabled"},
            opts=self._after(secured.last_setting),
        )

    def _lifecycles(self, secured: dict[BucketRole, _SecureBucket]) -> None:
        config = self._args.config
        abort_uploads: aws.s3.BucketLifecycleConfigurationRuleArgsDict = {
            "id": "abort-incomplete-multipart-uploads",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "abort_incomplete_multipart_upload": {"days_after_initiation": config.abort_incomplete_upload_days},
        }
        for role in DATA_BUCKET_ROLES:
            rules: list[aws.s3.BucketLifecycleConfigurationRuleArgsDict] = [
                abort_uploads,
                {
                    "id": "expire-noncurrent-versions",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "noncurrent_version_expiration": {"noncurrent_days": config.noncurrent_version_days},
                },
            ]
            secured[role].last_setting = self._lifecycle(role, secured[role], rules)
        current_days, recoverable_days = log_lifecycle_days(config.log_retention_days)
        log_rules: list[aws.s3.BucketLifecycleConfigurationRuleArgsDict] = [
            abort_uploads,
            {
                "id": "expire-logs",
                "status": "Enabled",
                "filter": {"prefix": ""},
                # In a versioned bucket an expiration only adds a delete marker; the log then lives
                # on as a noncurrent version. Current + noncurrent days = the retention, exactly.
                "expiration": {"days": current_days},
                "noncurrent_version_expiration": {"noncurrent_days": recoverable_days},
            },
            {
                "id": "remove-expired-delete-markers",
                "status": "Enabled",
                "filter": {"prefix": ""},
                "expiration": {"expired_object_delete_marker": True},
            },
        ]
        secured[LOG_BUCKET_ROLE].last_setting = self._lifecycle(LOG_BUCKET_ROLE, secured[LOG_BUCKET_ROLE], log_rules)

    def _lifecycle(
        self,
        role: BucketRole,
        secured: _SecureBucket,
        rules: list[aws.s3.BucketLifecycleConfigurationRuleArgsDict],
    ) -> pulumi.Resource:
        return aws.s3.BucketLifecycleConfiguration(
            f"{role}-lifecycle",
            bucket=secured.bucket.id,
            region=STORAGE_REGION,
            rules=rules,
            opts=self._after(secured.last_setting),
        )

    def _cors(self, secured: _SecureBucket, role: BucketRole, methods: list[str]) -> pulumi.Resource:
        """CORS for the app's origins only: uploads take browser PUT/POST through presigned URLs;
        media and assets answer cross-origin reads (players, Web Audio, fonts)."""
        writes = "PUT" in methods
        return aws.s3.BucketCorsConfiguration(
            f"{role}-cors",
            bucket=secured.bucket.id,
            region=STORAGE_REGION,
            cors_rules=[
                {
                    "allowed_methods": methods,
                    "allowed_origins": list(self._args.config.app_origins),
                    "allowed_headers": ["content-type", "content-md5", "x-amz-*"] if writes else ["range"],
                    "expose_headers": ["ETag"] if writes else list(CORS_EXPOSE_HEADERS),
                    "max_age_seconds": CORS_MAX_AGE_SECONDS,
                }
            ],
            opts=self._after(secured.last_setting),
        )

    def _distribution(
        self,
        role: BucketRole,
        cache_policy: aws.cloudfront.CachePolicy,
        response_headers_policy: aws.cloudfront.ResponseHeadersPolicy,
    ) -> aws.cloudfront.Distribution:
        bucket = self.buckets[role]
        origin_access_control = aws.cloudfront.OriginAccessControl(
            f"{role}-oac",
            name=bucket.bucket.apply(lambda name: f"{name}-oac"),
            description=f"CloudFront reads {role} objects, signed (sigv4)",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
            opts=self._child,
        )
        aliases, certificate = viewer_certificate(self, role, self._args.config.cdn_domains, self._args.tags)
        origin_id = f"s3-{role}"
        distribution = aws.cloudfront.Distribution(
            f"{role}-distribution",
            enabled=True,
            comment=f"newcool {self._args.environment} {role}",
            aliases=aliases,
            http_version="http2and3",
            is_ipv6_enabled=True,
            price_class=self._args.config.price_class,
            origins=[
                {
                    "origin_id": origin_id,
                    "domain_name": bucket.bucket_regional_domain_name,
                    "origin_access_control_id": origin_access_control.id,
                }
            ],
            # CloudFront forwards and caches Range requests for GET, so media seeking works
            # without Range in the cache key.
            default_cache_behavior={
                "target_origin_id": origin_id,
                "viewer_protocol_policy": "redirect-to-https",
                "allowed_methods": ["GET", "HEAD", "OPTIONS"],
                "cached_methods": ["GET", "HEAD"],
                "compress": True,
                "cache_policy_id": cache_policy.id,
                "origin_request_policy_id": CORS_S3_ORIGIN_REQUEST_POLICY_ID,
                "response_headers_policy_id": response_headers_policy.id,
            },
            web_acl_id=self._args.web_acl_arn,
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            viewer_certificate=certificate,
            tags=dict(self._args.tags),
            opts=self._child,
        )
        if self._args.config.cdn_domains:
            for record_type in ("A", "AAAA"):
                aws.route53.Record(
                    f"{role}-alias-{record_type.lower()}",
                    zone_id=self._args.config.cdn_domains.zone_id,
                    name=aliases[0],
                    type=record_type,
                    aliases=[
                        {
                            "name": distribution.domain_name,
                            "zone_id": distribution.hosted_zone_id,
                            "evaluate_target_health": False,
                        }
                    ],
                    opts=self._child,
                )
        return distribution

    def _cloudfront_logging(self, role: BucketRole, distribution: aws.cloudfront.Distribution) -> None:
        """Standard logging v2 (CloudWatch Logs delivery): no ACLs needed on the log bucket."""
        source = aws.cloudwatch.LogDeliverySource(
            f"{role}-cloudfront-log-source",
            name=f"newcool-{self._args.environment}-{role}-cdn",
            log_type="ACCESS_LOGS",
            resource_arn=distribution.arn,
            region=GLOBAL_REGION,
            opts=self._child,
        )
        destination = aws.cloudwatch.LogDeliveryDestination(
            f"{role}-cloudfront-log-destination",
            name=f"newcool-{self._args.environment}-{role}-cdn-s3",
            output_format="parquet",
            delivery_destination_configuration={
                "destination_resource_arn": self.buckets[LOG_BUCKET_ROLE].arn.apply(
                    lambda arn: f"{arn}/{CLOUDFRONT_LOG_PREFIX}{role}"
                )
            },
            region=GLOBAL_REGION,
            opts=self._child,
        )
        aws.cloudwatch.LogDelivery(
            f"{role}-cloudfront-log-delivery",
            delivery_source_name=source.name,
            delivery_destination_arn=destination.arn,
            region=GLOBAL_REGION,
            # The log bucket must admit the delivery service first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self._logs_policy]),
        )

    def _cutover_policy(
        self, role: BucketRole, bucket: aws.s3.Bucket, account_id: pulumi.Output[str], until: str
    ) -> aws.s3.BucketPolicy:
        """The media bucket's policy during the cut-over: TLS only, this account's CloudFront, and
        anyone's GET until the date. It waits for nothing but the bucket."""
        statements = pulumi.Output.all(bucket.arn, account_id).apply(
            lambda values: [
                docs.deny_insecure_transport(values[0]),
                docs.allow_cloudfront_read_from_account(values[0], values[1]),
                docs.allow_public_read_until(values[0], until),
            ]
        )
        return aws.s3.BucketPolicy(
            f"{role}-policy",
            bucket=bucket.id,
            region=STORAGE_REGION,
            policy=docs.render(statements),
            opts=self._after(bucket),
        )

    def _data_bucket_policy(self, role: BucketRole, secured: _SecureBucket) -> None:
        bucket_arn = secured.bucket.arn
        if role in self._args.config.public_read_until:
            return  # declared first, by _cutover_policy
        if role in CDN_ROLES:
            statements = pulumi.Output.all(bucket_arn, self.distributions[role].arn).apply(
                lambda arns: [docs.deny_insecure_transport(arns[0]), docs.allow_cloudfront_read(arns[0], arns[1])]
            )
        else:
            statements = bucket_arn.apply(lambda arn: [docs.deny_insecure_transport(arn)])
        aws.s3.BucketPolicy(
            f"{role}-policy",
            bucket=secured.bucket.id,
            region=STORAGE_REGION,
            policy=docs.render(statements),
            opts=self._after(secured.last_setting),
        )

    def _logs_bucket_policy(self, logs: _SecureBucket, account_id: pulumi.Output[str]) -> pulumi.Resource:
        sources = [self.buckets[role].arn for role in DATA_BUCKET_ROLES]
        statements = pulumi.Output.all(logs.bucket.arn, account_id, *sources).apply(
            lambda values: [
                docs.deny_insecure_transport(values[0]),
                docs.allow_s3_server_access_logs(values[0], S3_LOG_PREFIX, list(values[2:]), values[1]),
                docs.allow_cloudfront_log_delivery(values[0], CLOUDFRONT_LOG_PREFIX, values[1]),
            ]
        )
        return aws.s3.BucketPolicy(
            f"{LOG_BUCKET_ROLE}-policy",
            bucket=logs.bucket.id,
            region=STORAGE_REGION,
            policy=docs.render(statements),
            opts=self._after(logs.last_setting),
        )
