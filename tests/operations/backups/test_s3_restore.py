"""`make s3-restore` on moto: a versioned bucket whose objects were overwritten and deleted after
the moment to restore; a dry run changes nothing, a restore brings back exactly that moment's
versions and deletes none."""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from operations.backups import s3_restore

BUCKET = "newcool-uploads"


def versions(s3: Any) -> int:
    listing = s3.list_object_versions(Bucket=BUCKET)
    return len(listing.get("Versions", [])) + len(listing.get("DeleteMarkers", []))


def body(s3: Any, key: str) -> bytes:
    return bytes(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())


@pytest.fixture
def history(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str]]:
    """avatars/a (overwritten after AT), avatars/b (deleted after AT), avatars/c (unchanged),
    avatars/d (created after AT), other/x (outside the prefix, overwritten)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-2")
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        for key in ("avatars/a", "avatars/b", "avatars/c", "other/x"):
            s3.put_object(Bucket=BUCKET, Key=key, Body=f"{key} as it was".encode())
        # S3 times have one-second precision: the moment is just before the next whole second,
        # and every later change falls in that second or after.
        now = datetime.datetime.now(datetime.UTC)
        boundary = now.replace(microsecond=0) + datetime.timedelta(seconds=1)
        time.sleep((boundary - now).total_seconds() + 0.01)
        at = (boundary - datetime.timedelta(milliseconds=1)).isoformat()
        s3.put_object(Bucket=BUCKET, Key="avatars/a", Body=b"overwritten by a bug")
        s3.delete_object(Bucket=BUCKET, Key="avatars/b")
        s3.put_object(Bucket=BUCKET, Key="avatars/d", Body=b"uploaded later")
        s3.put_object(Bucket=BUCKET, Key="other/x", Body=b"outside the prefix")
        yield s3, at


def test_a_dry_run_changes_nothing_and_a_restore_brings_back_that_moment_deleting_no_version(
    history: tuple[Any, str], capsys: pytest.CaptureFixture[str]
) -> None:
    s3, at = history
    before = versions(s3)
    assert s3_restore.main(["--bucket", BUCKET, "--prefix", "avatars/", "--at", at], s3=s3) == 0
    out = capsys.readouterr().out
    assert "   restore  avatars/a" in out and "  undelete  avatars/b" in out
    assert " unchanged  avatars/c" in out and "newer only  avatars/d" in out
    assert "dry run: 2 object(s) would be restored" in out
    assert versions(s3) == before and body(s3, "avatars/a") == b"overwritten by a bug"

    applied = ["--bucket", BUCKET, "--prefix", "avatars/", "--at", at, "--apply", "--stack", "prod"]
    assert s3_restore.main(applied, s3=s3) == 0
    assert body(s3, "avatars/a") == b"avatars/a as it was"
    assert body(s3, "avatars/b") == b"avatars/b as it was"
    assert body(s3, "avatars/c") == b"avatars/c as it was"
    assert body(s3, "avatars/d") == b"uploaded later", "what did not exist then is left alone"
    assert body(s3, "other/x") == b"outside the prefix", "only the prefix is touched"
    # Two new versions, and every old one still there: the restore itself can be undone.
    assert versions(s3) == before + 2


def test_applying_with_another_accounts_credentials_stops_before_any_copy_in_one_line(
    history: tuple[Any, str], capsys: pytest.CaptureFixture[str]
) -> None:
    s3, at = history
    before = versions(s3)
    # No client handed in: the command makes its own, and moto's account is not prod's.
    assert s3_restore.main(["--bucket", BUCKET, "--prefix", "avatars/", "--at", at, "--apply", "--stack", "prod"]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: s3-restore: the AWS credentials are for account 123456789012, not the stack's")
    assert versions(s3) == before and body(s3, "avatars/a") == b"overwritten by a bug"


def test_applying_needs_the_stack_whose_account_it_checks(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--bucket", BUCKET, "--at", "2026-11-30T03:00:00Z", "--apply"]
    assert s3_restore.main(argv, s3=object()) == 2
    assert "APPLY=1 needs STACK=dev|prod" in capsys.readouterr().err


def test_a_time_without_a_zone_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert s3_restore.main(["--bucket", BUCKET, "--at", "2026-11-30T03:00:00"], s3=object()) == 2
    assert "AT needs a time zone" in capsys.readouterr().err


def test_a_missing_bucket_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-2")
        assert s3_restore.main(["--bucket", "no-such-bucket", "--at", "2026-11-30T03:00:00Z"], s3=s3) == 1
    assert capsys.readouterr().err.strip() == "error: S3 refused: NoSuchBucket"
