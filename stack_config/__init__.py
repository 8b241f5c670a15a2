"""Everything about stack files: the key table, the validated model, and reading it.

Components and operations import what they need from here; the modules say where each fact lives
(``vocabulary``, ``keys``, ``model``, ``reader``, ``sections/``, ``namespaces``, ``stack_file``,
``loader``).
"""

from stack_config.keys import SECRET_KEYS
from stack_config.loader import load_stack_config, parse_stack_config, project_config_values
from stack_config.model import (
    Adoption,
    BackupConfig,
    CacheConfig,
    CdnDomains,
    EvidenceConfig,
    FirewallConfig,
    HostingConfig,
    MonitoringConfig,
    StackConfig,
    StorageConfig,
    SupabaseConfig,
    VercelConfig,
)
from stack_config.reader import ConfigError
from stack_config.vocabulary import (
    ALL_PASSWORD_CHARACTERS,
    BUCKET_ROLES,
    BUCKET_TABLE,
    CDN_ROLES,
    CUTOVER_ROLES,
    DATA_BUCKET_ROLES,
    LOG_BUCKET_ROLE,
    PROD_BUCKET_NAMES,
    PROD_CDN_DOMAINS,
    PROJECT,
    STORAGE_REGION,
    UPLOAD_ROLES,
    BucketRole,
    BucketRoleFacts,
    Environment,
    UnknownBucketRoleError,
    bucket_role,
    supabase_project_ref,
)

__all__ = [
    "ALL_PASSWORD_CHARACTERS",
    "BUCKET_ROLES",
    "BUCKET_TABLE",
    "CDN_ROLES",
    "CUTOVER_ROLES",
    "DATA_BUCKET_ROLES",
    "LOG_BUCKET_ROLE",
    "PROD_BUCKET_NAMES",
    "PROD_CDN_DOMAINS",
    "PROJECT",
    "SECRET_KEYS",
    "STORAGE_REGION",
    "UPLOAD_ROLES",
    "Adoption",
    "BackupConfig",
    "BucketRole",
    "BucketRoleFacts",
    "CacheConfig",
    "CdnDomains",
    "ConfigError",
    "Environment",
    "EvidenceConfig",
    "FirewallConfig",
    "HostingConfig",
    "MonitoringConfig",
    "StackConfig",
    "StorageConfig",
    "SupabaseConfig",
    "UnknownBucketRoleError",
    "VercelConfig",
    "bucket_role",
    "load_stack_config",
    "parse_stack_config",
    "project_config_values",
    "supabase_project_ref",
]
