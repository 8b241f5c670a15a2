"""Opening the migration connection, and describing it without ever showing a secret.

A database URL can hold a password, and libpq quotes parts of a malformed URL in its errors (a
password with an unescaped ``@`` or ``/`` ends up in "could not translate host name ..."). So
a URL whose credentials would be misread is refused before connecting, messages name the
target only as ``user@host:port/db``, and every message is scrubbed of the password anyway.
"""

from __future__ import annotations

import re

import psycopg
from psycopg import conninfo

from db_migrations.errors import MigrationError

CONNECT_TIMEOUT_SECONDS = 10
APPLICATION_NAME = "newcool-migrations"
_URL = re.compile(r"^(?P<scheme>postgres(?:ql)?)://(?P<rest>.*)$", re.DOTALL)
# A secret's fragments shorter than this are too common to scrub from a message meaningfully.
MIN_FRAGMENT = 3

Connection = psycopg.Connection[tuple[object, ...]]


def _raw_password(database_url: str) -> str | None:
    """The password as written in a URL, read generously (up to the last '@')."""
    match = _URL.match(database_url)
    if not match or "@" not in match["rest"]:
        return None
    userinfo = match["rest"].rsplit("@", 1)[0]
    return userinfo.split(":", 1)[1] if ":" in userinfo else None


def _secrets(database_url: str) -> list[str]:
    found = {part for part in (_raw_password(database_url),) if part}
    try:
        parsed = conninfo.conninfo_to_dict(database_url).get("password")
    except psycopg.Error:
        parsed = None
    if parsed:
        found.add(str(parsed))
    fragments = {fragment for secret in found for fragment in re.split(r"[@/?#:]", secret)}
    return sorted(found | {f for f in fragments if len(f) >= MIN_FRAGMENT}, key=len, reverse=True)


def scrub(message: str, database_url: str) -> str:
    """The message with the URL's password, and any recognisable piece of it, masked."""
    for secret in _secrets(database_url):
        message = message.replace(secret, "***")
    return " ".join(message.split())


def describe(database_url: str) -> str:
    """``user@host:port/db``: what the messages call the target (never the password)."""
    try:
        params = conninfo.conninfo_to_dict(database_url)
    except psycopg.Error:
        return "<unparseable database URL>"
    user = params.get("user", "?")
    host = params.get("host", "localhost")
    return f"{user}@{host}:{params.get('port', '5432')}/{params.get('dbname', '?')}"


def check_url(database_url: str) -> None:
    """Refuses a URL that libpq would misread (and then quote) before anything is sent."""
    match = _URL.match(database_url)
    if match:
        rest = match["rest"]
        authority_end = min((rest.find(c) for c in "/?#" if c in rest), default=len(rest))
        if "@" in rest[authority_end:] or rest[:authority_end].count("@") > 1:
            raise MigrationError(
                "the database URL's credentials contain an unescaped '@', '/', '?' or '#': percent-encode them "
                "(for example '@' as %40)"
            )
    try:
        conninfo.conninfo_to_dict(database_url)
    except psycopg.Error:
        # The parser's message quotes the string it could not read: never shown.
        raise MigrationError(
            "the database URL cannot be parsed (expected postgresql://user:password@host:port/db)"
        ) from None


def with_tls_by_default(database_url: str) -> str:
    """TLS is required unless the URL says otherwise (local test clusters say sslmode=disable)."""
    if "sslmode" in conninfo.conninfo_to_dict(database_url):
        return database_url
    return conninfo.make_conninfo(database_url, sslmode="require")


def connect(database_url: str) -> Connection:
    check_url(database_url)
    try:
        return psycopg.connect(
            with_tls_by_default(database_url),
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            application_name=APPLICATION_NAME,
        )
    except psycopg.Error as error:
        reason = scrub(str(error), database_url) or type(error).__name__
        raise MigrationError(f"cannot connect to {describe(database_url)}: {reason}") from None
