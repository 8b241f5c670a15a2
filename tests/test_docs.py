"""The committed auditor documents and policy configs are what the sources generate now."""

from __future__ import annotations

import pytest

from tools.docs import expected_files
from tools.mock_engine import ROOT
from tools.pg_cluster import PostgresCluster


@pytest.mark.sql
def test_generated_documents_are_current(cluster: PostgresCluster) -> None:
    stale = [
        str(path.relative_to(ROOT))
        for path, text in expected_files(cluster).items()
        if not path.exists() or path.read_text() != text
    ]
    assert stale == [], f"stale: {stale}; run `make docs` and commit the result"
