"""`make docs`: the auditors' documents, generated from the sources they describe.

- ``docs/policies.md`` and ``policies/config.<stack>.json`` from the policy pack itself;
- ``docs/configuration.md`` and ``Pulumi.yaml``'s ``config:`` block from the key table
  (``stack_config/keys.py``);
- the README's monitoring table from the alarms of prod's plan (``tools/monitoring_doc.py``);
- docs/architecture.md's picture of the system from prod's plan (``tools/architecture_diagram.py``),
  and its tables of bucket roles and app variables from the vocabulary tables, with the pack's own
  copy of the bucket roles (``tools/vocabulary_docs.py``);
- ``docs/access-matrix.md`` from the pgTAP access tests (``supabase/tests``), run with
  ``pg_prove`` on a real PostgreSQL 15 with the migrations applied.

``make test`` regenerates them in memory and fails when a committed copy is stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from localdb import pgtap
from localdb.cluster import PostgresCluster, running_cluster
from policies.guardrails.common import RATIONALE, STACKS
from policies.guardrails.pack import POLICIES, enforcement_table, review_config, stack_config
from preview.engine import run_program
from preview.plan import Plan
from stack_config.review import prod_markers
from stack_config.stack_file import ROOT
from tools import architecture_diagram, vocabulary_docs
from tools.configuration_doc import GENERATED, configuration_markdown, project_file
from tools.control_coverage import coverage_markdown
from tools.monitoring_doc import readme_with_table

POLICIES_DOC = ROOT / "docs" / "policies.md"
ACCESS_MATRIX_DOC = ROOT / "docs" / "access-matrix.md"
CONFIGURATION_DOC = ROOT / "docs" / "configuration.md"
PROJECT_FILE = ROOT / "Pulumi.yaml"
README = ROOT / "README.md"
ARCHITECTURE_DOC = ROOT / "docs" / "architecture.md"
PACK_BUCKET_ROLES = ROOT / "policies" / "guardrails" / "bucket_roles.py"


def _service(policy_name: str) -> str:
    services = {"s3": "S3", "cloudfront": "CloudFront", "iam": "IAM", "kms": "KMS", "sns": "SNS"}
    services.update({"vercel": "Vercel", "upstash": "Upstash", "supabase": "Supabase", "lambda": "Lambda"})
    services["review"] = "Review stacks"
    return services[policy_name.split("-", 1)[0]]


def policies_markdown() -> str:
    enforcement = enforcement_table()
    lines = [
        GENERATED.format(source="policies/"),
        "",
        "# Policy pack `newcool-guardrails`",
        "",
        "Run by CI on every pull request (`make preview`, offline, and `pulumi preview --policy-pack policies`",
        "with the stack's `--policy-pack-config policies/config.<stack>.json`). Enforcement: mandatory in prod;",
        "in dev, mandatory for high and critical rules and advisory otherwise; recommendations are advisory",
        "everywhere. A mandatory violation fails the preview.",
        "",
        "| policy | service | what | why | severity | control | dev | prod |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for policy in POLICIES:
        framework = policy.framework
        control = f"{framework.name} {framework.reference}" if framework else "internal"
        levels = enforcement[policy.name]
        lines.append(
            f"| `{policy.name}` | {_service(policy.name)} | {policy.description} | {RATIONALE[policy.name]} | "
            f"{policy.severity.value if policy.severity else ''} | {control} | "
            f"{levels['dev'].value} | {levels['prod'].value} |"
        )
    lines += ["", coverage_markdown().rstrip()]
    lines += ["", "## Remediation", ""]
    lines += [f"- `{policy.name}`: {policy.remediation_steps}" for policy in POLICIES]
    return "\n".join(lines) + "\n"


def access_matrix_markdown(cluster: PostgresCluster) -> str:
    """The access tests' passed assertions, on a fresh migrated database in ``cluster``."""
    cluster.supabase_database("access_matrix_docs")
    result = pgtap.pg_prove(cluster, "access_matrix_docs")
    if not result.passed:
        raise RuntimeError(f"the pgTAP tests fail, so there is no access matrix to write:\n{result.output}")
    return "\n".join(
        [
            GENERATED.format(source="the pgTAP access tests in supabase/tests, run on PostgreSQL 15 (localdb/)"),
            "",
            "# Access matrix",
            "",
            "Each cell is an assertion of `supabase/tests/database/01_access.test.sql` that passed: one request",
            "made as Supabase's API makes it (the request's role, its JWT claims in `request.jwt.claims`),",
            "its changes undone before the next. Seed: users A and B with a profile, one published and one",
            "unpublished module, one grant each, one active and one ended session each. **denied** = refused",
            "with insufficient privilege (no grant on the table or column, or a row refused by a policy);",
            "`0 rows (RLS)` = allowed but row level security hid every row; `N rows` = rows read or changed.",
            "",
            pgtap.markdown(pgtap.access_assertions(result)),
            "",
        ]
    )


def architecture_markdown(text: str, prod_plan: Plan) -> str:
    """docs/architecture.md with its generated blocks current: the picture and the two tables."""
    for start, end, block in (
        (architecture_diagram.START, architecture_diagram.END, architecture_diagram.diagram_block(prod_plan)),
        (vocabulary_docs.BUCKET_ROLES_START, vocabulary_docs.BUCKET_ROLES_END, vocabulary_docs.bucket_roles_table()),
        (vocabulary_docs.APP_VARIABLES_START, vocabulary_docs.APP_VARIABLES_END, vocabulary_docs.app_variables_table()),
    ):
        text = vocabulary_docs.replace_between(text, start, end, block)
    return text


def database_free_files(prod_plan: Plan | None = None) -> dict[Path, str]:
    """The generated files that need no database (checked by the fast tests); the README's
    monitoring table comes from prod's plan (the tests pass the one they already ran)."""
    plan = prod_plan or run_program("prod")
    files = {
        POLICIES_DOC: policies_markdown(),
        CONFIGURATION_DOC: configuration_markdown(),
        PROJECT_FILE: project_file(PROJECT_FILE.read_text()),
        README: readme_with_table(README.read_text(), plan),
        ARCHITECTURE_DOC: architecture_markdown(ARCHITECTURE_DOC.read_text(), plan),
        PACK_BUCKET_ROLES: vocabulary_docs.pack_bucket_roles(),
    }
    for stack in STACKS:
        files[ROOT / "policies" / f"config.{stack}.json"] = (
            json.dumps(stack_config(stack), indent=2, sort_keys=True) + "\n"
        )
    review = review_config(prod_markers())
    files[ROOT / "policies" / "config.review.json"] = json.dumps(review, indent=2, sort_keys=True) + "\n"
    return files


def expected_files(cluster: PostgresCluster) -> dict[Path, str]:
    return {**database_free_files(), ACCESS_MATRIX_DOC: access_matrix_markdown(cluster)}


def main() -> int:
    with running_cluster() as cluster:
        for path, text in expected_files(cluster).items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
