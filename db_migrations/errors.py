"""The one error the migration runner raises: a single line, safe to print (no secret in it)."""


class MigrationError(Exception):
    """A migration could not be applied or checked; nothing of the failing file was kept."""
