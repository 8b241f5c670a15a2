"""The manual: generated documents are current, the README is the front door (short, every link
alive), and the prose that states facts of the code states them truly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from localdb.cluster import PostgresCluster
from policies.guardrails.pack import POLICIES
from preview.plan import Plan
from stack_config import SECRET_KEYS
from stack_config.keys import KEYS
from stack_config.stack_file import ROOT
from tools.docs import ACCESS_MATRIX_DOC, CONFIGURATION_DOC, access_matrix_markdown, database_free_files

MARKDOWN_LINK = re.compile(r"\]\(([^)#]+)(#[^)]*)?\)")


def stale(files: dict[Path, str]) -> list[str]:
    return [
        str(path.relative_to(ROOT)) for path, text in files.items() if not path.exists() or path.read_text() != text
    ]


def test_the_generated_documents_that_need_no_database_are_current(prod_plan: Plan) -> None:
    assert stale(database_free_files(prod_plan)) == [], "run `make docs` and commit the result"


@pytest.mark.sql
def test_the_access_matrix_is_what_the_pgtap_tests_prove_now(cluster: PostgresCluster) -> None:
    # The files that need no database are the test above's (it reuses the session's prod plan).
    assert stale({ACCESS_MATRIX_DOC: access_matrix_markdown(cluster)}) == [], "run `make docs` and commit the result"


def test_configuration_md_documents_every_key_with_its_default() -> None:
    text = CONFIGURATION_DOC.read_text()
    for key in KEYS:
        row = next(line for line in text.splitlines() if line.startswith(f"| `{key.name}` |"))
        if isinstance(key.default, int) and not isinstance(key.default, bool):
            assert f"`{key.default}`" in row, key.name
        assert key.description in row


def test_the_readme_is_a_front_door_of_at_most_150_lines_whose_links_all_resolve() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 150
    links = [match.group(1) for match in MARKDOWN_LINK.finditer(readme)]
    assert len(links) >= 10
    assert [link for link in links if not (ROOT / link).exists()] == []


def test_every_link_in_the_manual_resolves() -> None:
    broken = []
    for page in sorted((ROOT / "docs").rglob("*.md")):
        for match in MARKDOWN_LINK.finditer(page.read_text()):
            target = match.group(1)
            if "://" not in target and not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
    assert broken == []


def test_the_esc_environment_in_secrets_md_supplies_every_secret_the_program_reads() -> None:
    page = (ROOT / "docs" / "secrets.md").read_text()
    block = page.split("```yaml\nvalues:\n  pulumiConfig:\n", 1)[1].split("```", 1)[0]
    documented = {line.split(":")[0].strip() + ":" + line.split(":")[1] for line in block.splitlines()}
    project_secrets = {f"newcool-infra:{key}" for key in SECRET_KEYS}
    # The providers' credentials the program's providers read (pulumi-aws: ambient/OIDC).
    assert documented == project_secrets | {"vercel:apiToken", "upstash:email", "upstash:apiKey"}


def test_the_policy_pack_page_counts_the_packs_rules() -> None:
    assert f"named `newcool-guardrails`: {len(POLICIES)} rules" in (ROOT / "docs" / "policy-pack.md").read_text()


# "three buckets", "both distributions", "15.25 USD": counts and prices go stale when a bucket
# or a charge is added; they come from the tables or the plan (generated), or not at all.
STATED_COUNT_OR_PRICE = re.compile(
    r"\b(two|three|four|five|six|both|\d+)\s+(\w+\s+)?(buckets?|distributions?)\b|\d+(\.\d+)?\s*USD", re.IGNORECASE
)


def test_no_prose_states_a_count_of_buckets_or_distributions_or_a_price() -> None:
    # Pages generated whole from code (the key table, the pack) state the figures the code holds.
    generated = {ROOT / "docs" / "configuration.md", ROOT / "docs" / "policies.md"}
    pages = [
        ROOT / "README.md",
        *sorted(p for p in (ROOT / "docs").rglob("*.md") if "reference" not in p.parts and p not in generated),
    ]
    stated = [
        f"{page.relative_to(ROOT)}: {match.group(0)}"
        for page in pages
        for match in STATED_COUNT_OR_PRICE.finditer(page.read_text())
    ]
    assert stated == []
