"""`make verify`'s checks, against local stand-ins: an HTTP server on loopback and moto for S3."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from moto import mock_aws

from operations import verify
from stack_config import BUCKET_ROLES, CDN_ROLES, DATA_BUCKET_ROLES

TOKEN = "redis-token"
ANON = "sb_publishable_standin"


class StandIn(BaseHTTPRequestHandler):
    """Answers like the real endpoints would; `server.broken` makes each one misbehave."""

    def log_message(self, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: Any = b"", headers: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        broken = self.server.broken  # type: ignore[attr-defined]
        path = self.path
        if path.startswith("/bucket/"):
            self._reply(200 if broken else 403, b"<Error><Code>AccessDenied</Code></Error>")
        elif path == "/api/health":
            self._reply(503 if broken else 200, {"status": "ok"})
        elif path == "/ping":
            authorized = self.headers.get("Authorization") == f"Bearer {TOKEN}"
            self._reply(200, {"result": "PONG"}) if authorized and not broken else self._reply(
                401, {"error": "unauthorized"}
            )
        elif path.startswith("/rest/v1/profiles"):
            if self.headers.get("apikey") != ANON or self.headers.get("Authorization"):
                # The publishable key travels alone in `apikey`; it is not a bearer JWT.
                self._reply(400, {"message": "apikey missing or sent as a bearer token"})
            elif broken:
                self._reply(200, [{"id": "aaaaaaaa-0000-4000-8000-00000000000a"}])
            else:
                self._reply(401, {"code": "42501", "message": "permission denied for table profiles"})
        elif path == "/cdn/":
            self._reply(403, b"")
        elif path == "/plain-cdn/":
            location = "http://elsewhere/" if broken else "https://cdn.example/"
            self._reply(301, b"", {"Location": location})
        else:
            self._reply(404)


@pytest.fixture(params=[False, True], ids=["healthy", "broken"])
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, bool]]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    httpd.broken = request.param  # type: ignore[attr-defined]
    # A short poll, so shutdown() returns at once instead of after the default half second.
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", request.param
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_anonymous_s3_get_must_be_refused(server: tuple[str, bool]) -> None:
    base, broken = server
    assert verify.s3_anonymous_get_denied(f"{base}/bucket").ok is not broken


def test_health_endpoint_must_answer_200(server: tuple[str, bool]) -> None:
    base, broken = server
    assert verify.health_endpoint(base.removeprefix("http://"), scheme="http").ok is not broken


def test_redis_must_answer_pong_to_the_token(server: tuple[str, bool]) -> None:
    base, broken = server
    assert verify.redis_ping(base, TOKEN).ok is not broken
    assert verify.redis_ping(base, "wrong").ok is False


def test_anon_must_not_read_profiles(server: tuple[str, bool]) -> None:
    base, broken = server
    check = verify.anon_cannot_read_profiles(base, ANON)
    assert check.ok is not broken, check.detail


def test_a_check_that_read_rows_reports_their_count_never_their_data(server: tuple[str, bool]) -> None:
    """The result goes into an Object-Locked evidence record: statuses and counts only."""
    base, broken = server
    check = verify.anon_cannot_read_profiles(base, ANON)
    assert check.detail == ("HTTP 200, 1 row(s)" if broken else "refused (HTTP 401)")
    assert "aaaaaaaa" not in check.detail and "0000" not in check.detail
    assert "PONG" in verify.redis_ping(base, TOKEN).detail or broken


def test_cdn_must_answer_https_and_redirect_http(server: tuple[str, bool]) -> None:
    base, broken = server

    def routed(url: str, headers: Any = None) -> verify.Response:
        # https://cdn.example/ is the stand-in's /cdn/; http://cdn.example/ its /plain-cdn/.
        path = "/cdn/" if url.startswith("https://") else "/plain-cdn/"
        return verify.fetch(f"{base}{path}", headers)

    check = verify.cdn_https_and_redirect("https://cdn.example/", routed)
    assert check.ok is not broken, check.detail


def test_an_unreachable_endpoint_fails_its_check_with_the_reason() -> None:
    check = verify.health_endpoint("127.0.0.1:1", scheme="http")
    assert check.ok is False and check.detail.startswith("unreachable")


@mock_aws
def test_public_access_blocks_are_read_from_s3() -> None:
    s3 = boto3.client("s3", region_name="us-east-2")
    for bucket in ("locked", "leaky"):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
    all_on = {flag: True for flag in verify.PUBLIC_ACCESS_FLAGS}
    s3.put_public_access_block(Bucket="locked", PublicAccessBlockConfiguration=all_on)
    s3.put_public_access_block(Bucket="leaky", PublicAccessBlockConfiguration={**all_on, "BlockPublicPolicy": False})
    assert verify.buckets_block_public_access(["locked"], s3).ok is True
    failing = verify.buckets_block_public_access(["locked", "leaky"], s3)
    assert failing.ok is False and failing.detail == "leaky:BlockPublicPolicy"
    # During the media cut-over the policy flags are down on purpose; the ACL ones never.
    cutover = verify.buckets_block_public_access(["locked", "leaky"], s3, {"leaky": "2027-02-28"})
    assert cutover.ok is True and "leaky public until 2027-02-28 (cut-over)" in cutover.detail
    s3.put_public_access_block(Bucket="leaky", PublicAccessBlockConfiguration={**all_on, "BlockPublicAcls": False})
    assert verify.buckets_block_public_access(["leaky"], s3, {"leaky": "2027-02-28"}).ok is False


def test_without_the_pulumi_cli_verify_skips_cleanly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    assert verify.main(["--stack", "prod"]) == 0
    assert "skipped, nothing was checked (no Pulumi CLI on PATH" in capsys.readouterr().out


def test_in_ci_a_verify_that_cannot_check_fails(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    assert verify.main(["--stack", "prod"]) == 1
    assert "skipped, nothing was checked" in capsys.readouterr().out


def outputs_for(roles: list[str], cdn_roles: list[str]) -> dict[str, Any]:
    return {
        "bucketNames": {role: f"newcool-{role}" for role in roles},
        "cdnUrls": {role: f"https://{role}.example" for role in cdn_roles},
        "apiDomain": "api.example",
        "redisRestUrls": {"cache": "https://redis.example"},
        "redisRestTokens": {"cache": TOKEN},
        "supabaseUrl": "https://supabase.example",
        "supabasePublishableKey": ANON,
    }


class AllBlocked:
    def get_public_access_block(self, Bucket: str) -> dict[str, Any]:  # noqa: N803 (boto3's name)
        return {"PublicAccessBlockConfiguration": {flag: True for flag in verify.PUBLIC_ACCESS_FLAGS}}


def test_every_data_bucket_of_the_role_table_gets_its_anonymous_get_probe() -> None:
    probed: list[str] = []

    def refuse(url: str, headers: Any = None) -> verify.Response:
        probed.append(url)
        return verify.Response(403, {}, b"")

    outputs = outputs_for(list(BUCKET_ROLES), list(CDN_ROLES))
    checks = verify.run_checks(outputs, refuse, AllBlocked())
    s3_probes = {url.split("//")[1].split(".s3.")[0] for url in probed if ".s3." in url}
    assert s3_probes == {f"newcool-{role}" for role in DATA_BUCKET_ROLES}
    assert checks[0].ok, checks[0].detail


def test_a_stack_missing_a_role_of_the_table_or_naming_an_unknown_one_fails_verify() -> None:
    assert verify.every_role_deployed(outputs_for(list(BUCKET_ROLES), list(CDN_ROLES))).ok
    missing = verify.every_role_deployed(outputs_for(list(BUCKET_ROLES[1:]), list(CDN_ROLES[1:])))
    assert not missing.ok and f"no bucket for {BUCKET_ROLES[0]}" in missing.detail
    assert f"no CDN URL for {CDN_ROLES[0]}" in missing.detail
    unknown = verify.every_role_deployed(outputs_for([*BUCKET_ROLES, "no-such-role"], list(CDN_ROLES)))
    assert not unknown.ok and "unknown bucket role no-such-role" in unknown.detail
