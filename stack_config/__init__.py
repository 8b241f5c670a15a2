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
    CDN_ROLES,
    DATA_BUCKET_ROLES,
    PROD_BUCKET_NAMES,
    PROJECT,
    STORAGE_REGION,
    BucketRole,
    Environment,
    supabase_project_ref,
)

__all__ = [
    "ALL_PASSWORD_CHARACTERS",
    "BUCKET_ROLES",
    "CDN_ROLES",
    "DATA_BUCKET_ROLES",
    "PROD_BUCKET_NAMES",
    "PROJECT",
    "SECRET_KEYS",
    "STORAGE_REGION",
    "Adoption",
    "BackupConfig",
    "BucketRole",
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
    "VercelConfig",
    "load_stack_config",
    "parse_stack_config",
    "project_config_values",
    "supabase_project_ref",
]
