"""Pulumi dynamic providers: what no published provider manages (the Supabase schema, settings and
keys over the Management API; WAF logging that survives its first-time race; the Vercel production
redeploy when the app's variables change).

Deployed state holds each provider pickled with its module path, not its code: a refresh, an
update or a delete unpickles it by importing that path. Moving or renaming a provider class (or
its module) therefore breaks every stack already deployed with it. The paths below are the
contract: keep them importable, and if a class must move, leave a shim at the old path
(``from providers.new_home import X``). tests/providers/test_module_paths.py holds the list to it.
"""

# Every provider class a deployed state may name, by its import path.
DEPLOYED_PROVIDER_PATHS = (
    "providers.schema_migrations.SchemaMigrationsProvider",
    "providers.supabase_settings.SettingsProvider",
    "providers.supabase_settings.BackupsProvider",
    "providers.supabase_keys.ApiKeyProvider",
    "providers.supabase_addons.PitrAddonProvider",
    "providers.waf_logging.WebAclLoggingProvider",
    "providers.vercel_redeploy.ProductionRedeployProvider",
    "providers.supabase_branch.SupabaseBranchProvider",
    "providers.database_seed.DatabaseSeedProvider",
    "providers.upstash_database.UpstashDatabaseProvider",
    "providers.vercel_branch.BranchVariableProvider",
    "providers.vercel_branch.BranchRebuildProvider",
)
