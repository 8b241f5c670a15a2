"""The committed auditor documents and policy configs are what the sources generate now."""

from __future__ import annotations

import pytest

from localdb.cluster import PostgresCluster
from policies.guardrails.pack import POLICIES
from stack_config import SECRET_KEYS
from stack_config.stack_file import ROOT
from tools.docs import expected_files


@pytest.mark.sql
def test_generated_documents_are_current(cluster: PostgresCluster) -> None:
    stale = [
        str(path.relative_to(ROOT))
        for path, text in expected_files(cluster).items()
        if not path.exists() or path.read_text() != text
    ]
    assert stale == [], f"stale: {stale}; run `make docs` and commit the result"


def test_the_readmes_esc_environment_supplies_every_secret_the_program_reads() -> None:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("```yaml\nvalues:\n  pulumiConfig:\n", 1)[1].split("```", 1)[0]
    documented = {line.split(":")[0].strip() + ":" + line.split(":")[1] for line in block.splitlines()}
    project_secrets = {f"newcool-infra:{key}" for key in SECRET_KEYS}
    # The providers' credentials the program's providers read (pulumi-aws: ambient/OIDC).
    assert documented == project_secrets | {"vercel:apiToken", "upstash:email", "upstash:apiKey"}


def test_the_readme_counts_the_packs_rules() -> None:
    assert f"named `newcool-guardrails`: {len(POLICIES)} rules" in (ROOT / "README.md").read_text()
