"""The control-coverage table: every control a rule maps to is listed, and every listed control
is either enforced by a rule or says why not."""

from __future__ import annotations

from tools.control_coverage import CONTROLS, coverage_markdown, enforcing_rules


def test_every_control_the_pack_maps_to_is_in_the_table() -> None:
    assert set(enforcing_rules()) <= {control.id for control in CONTROLS}


def test_every_control_is_enforced_or_says_why_not() -> None:
    rules = enforcing_rules()
    for control in CONTROLS:
        assert bool(rules.get(control.id)) != bool(control.otherwise), control.id


def test_the_table_names_the_enforcing_rules() -> None:
    table = coverage_markdown()
    assert (
        "| S3.8 | bucket-level Block Public Access | `s3-bucket-baseline-complete`, `s3-public-access-block-complete` |"
        in table
    )
    assert "| CloudFront.6 | WAF enabled | `cloudfront-web-acl` |" in table
