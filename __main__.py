"""The NewCool platform's infrastructure: composes the components for the selected stack."""

import pulumi

from components.app_traffic import AppTraffic, AppTrafficArgs
from components.cache import CACHE_KEYS, CacheArgs, RedisCache
from components.firewall import CdnFirewall, FirewallArgs
from components.hosting import HostingArgs, VercelHosting
from components.locked_vault import DUMP_PREFIX, EVIDENCE_PREFIX, LockedVault, LockedVaultArgs
from components.monitoring import Monitoring, MonitoringArgs
from components.review_environment import ReviewEnvironment, ReviewEnvironmentArgs
from components.storage import MediaStorage, StorageArgs
from components.supabase_project import SupabaseProject, SupabaseProjectArgs
from components.supabase_schema import SupabaseSchema, SupabaseSchemaArgs
from stack_config import STORAGE_REGION, ConfigError, load_stack_config
from stack_config.review import is_review_stack, load_review_config

if is_review_stack(pulumi.get_stack()):
    # A pull request's review environment (pr-<N>): its own branch, cache and preview wiring only.
    review_config = load_review_config()
    review = ReviewEnvironment("review", ReviewEnvironmentArgs(config=review_config))
    pulumi.export("previewUrl", review_config.preview_url)
    pulumi.export("supabaseBranch", review_config.name)
    pulumi.export("supabaseUrl", review.branch.url)
    # Secret: the branch tests (pgTAP) connect with it.
    pulumi.export("branchDatabaseUrl", review.branch.database_url)
    pulumi.export("redisDatabase", review_config.cache_name)
    pulumi.export("gitBranch", review_config.git_branch)
    # Empty while the app repository has no preview of that branch (the comment says so).
    pulumi.export("appPreviewDeployment", review.rebuild.deployment_id.apply(lambda found: found or ""))
else:
    config = load_stack_config()
    if config.placeholders:
        listed = ", ".join(config.placeholders)
        if config.is_prod and not pulumi.runtime.is_dry_run():
            raise ConfigError(
                f"{config.stack_file}: newcool-infra:placeholders still lists {listed}: put the real values in and "
                "take them off the list before `pulumi up -s prod`"
            )
        pulumi.log.warn(f"{config.stack_file}: placeholder values, to replace before a real `up`: {listed}")

    firewall = CdnFirewall(
        "edge",
        FirewallArgs(
            config=config.firewall,
            environment=config.environment,
            log_retention_days=config.storage.log_retention_days,
            tags=config.tags,
        ),
    )
    storage = MediaStorage(
        "media",
        StorageArgs(
            config=config.storage,
            environment=config.environment,
            protect_data=config.is_prod,
            tags=config.tags,
            web_acl_arn=firewall.web_acl.arn,
        ),
    )
    supabase = SupabaseProject(
        "supabase-project", SupabaseProjectArgs(config=config.supabase, environment=config.environment)
    )
    # Migrations run once the database admits where they run from, over TLS.
    schema = SupabaseSchema(
        "supabase",
        SupabaseSchemaArgs(database_url=config.supabase.database_url),
        pulumi.ResourceOptions(depends_on=supabase.database_access),
    )
    redis = RedisCache("redis", CacheArgs(config=config.cache, environment=config.environment))
    hosting = VercelHosting(
        "app",
        HostingArgs(
            config=config.hosting,
            environment=config.environment,
            supabase_url=config.supabase.url,
            supabase_publishable_key=supabase.publishable_key,
            supabase_secret_key=supabase.secret_key,
            buckets=storage.buckets,
            redis=redis,
            tags=config.tags,
        ),
    )
    backups = LockedVault(
        "backups",
        LockedVaultArgs(
            purpose="backups",
            bucket_name=config.backups.bucket_name,
            retention_days=config.backups.retention_days,
            prefix=DUMP_PREFIX,
            environment=config.environment,
            tags=config.tags,
            github_repository=config.monitoring.github_repository,
            denied_deletes=(hosting.app_principal_arn,),
        ),
    )
    evidence = LockedVault(
        "evidence",
        LockedVaultArgs(
            purpose="evidence",
            bucket_name=config.evidence.bucket_name,
            retention_days=config.evidence.retention_days,
            prefix=EVIDENCE_PREFIX,
            environment=config.environment,
            tags=config.tags,
            writer_arn=config.evidence.deploy_role_arn,
            denied_deletes=(hosting.app_principal_arn,),
        ),
    )
    monitoring = Monitoring(
        "monitoring",
        MonitoringArgs(
            config=config.monitoring,
            environment=config.environment,
            api_domain=config.hosting.vercel.domain,
            distributions=storage.distributions,
            vercel_project_id=hosting.project.id,
            vercel_team_id=config.hosting.vercel.team_id,
            tags=config.tags,
        ),
    )
    if config.monitoring.log_drain and config.monitoring.log_drain_secret is not None:
        traffic = AppTraffic(
            "traffic",
            AppTrafficArgs(
                environment=config.environment,
                log_retention_days=config.storage.log_retention_days,
                vercel_project_id=hosting.project.id,
                vercel_team_id=config.hosting.vercel.team_id,
                drain_secret=config.monitoring.log_drain_secret,
                alarm_topic_arn=monitoring.topic.arn,
                health_check_id=monitoring.health_check.id if monitoring.health_check else None,
                tags=config.tags,
            ),
        )
        pulumi.export("logDrainEndpoint", traffic.url.function_url)
        pulumi.export("appLogGroup", traffic.log_group.name)

    pulumi.export("bucketNames", {role: bucket.bucket for role, bucket in storage.buckets.items()})
    pulumi.export("cdnUrls", storage.cdn_urls)
    pulumi.export("cdnDistributionIds", {role: dist.id for role, dist in storage.distributions.items()})
    pulumi.export("apiDomain", config.hosting.vercel.domain)
    pulumi.export("vercelProjectId", hosting.project.id)
    pulumi.export("redisEndpoints", {"cache": redis.cache.endpoint, "ratelimit": redis.ratelimit.endpoint})
    pulumi.export("redisRestUrls", {"cache": redis.cache.rest_url, "ratelimit": redis.ratelimit.rest_url})
    # Secret: `make verify` reads it to PING the cache (pulumi stack output --show-secrets).
    pulumi.export("redisRestTokens", {"cache": redis.cache.rest_token, "ratelimit": redis.ratelimit.rest_token})
    pulumi.export("supabaseUrl", config.supabase.url)
    pulumi.export("supabasePublishableKey", supabase.publishable_key)
    pulumi.export("appRoleArn", hosting.role_arn)
    pulumi.export("storageRegion", STORAGE_REGION)
    if config.hosting.serves_previews_of:
        # Prod's previews read this stack's whole backend (stack_config/app_variables.py PREVIEW_OUTPUTS),
        # its server key too: a secret output, which only those who may read this stack's state can read.
        pulumi.export("supabaseSecretKey", supabase.secret_key)
    pulumi.export(
        "cacheKeys",
        [{"pattern": k.pattern, "ttlSeconds": k.ttl_seconds, "database": k.database} for k in CACHE_KEYS],
    )
    pulumi.export("supabaseMigrations", schema.migrations.last_applied)
    pulumi.export("alertsTopicArn", monitoring.topic.arn)
    pulumi.export("cdnWebAclArn", firewall.web_acl.arn)
    # `make verify` expects these buckets to be public until the date (the media cut-over).
    pulumi.export(
        "mediaPublicReadUntil", {role: day.isoformat() for role, day in config.storage.public_read_until.items()}
    )
    pulumi.export("healthCheckId", monitoring.health_check.id if monitoring.health_check else None)
    pulumi.export("dbMetricsRoleArn", monitoring.metrics_role_arn)
    # The nightly backup workflow uploads here, as this role (its BACKUP_ROLE_ARN secret).
    pulumi.export("backupBucket", backups.bucket.bucket)
    pulumi.export("backupWriterRoleArn", backups.writer_role_arn)
    # The deploy workflow seals each deploy's record here (operations/evidence/records.py).
    pulumi.export("evidenceBucket", evidence.bucket.bucket)
