"""The picture of the system: Mermaid that every renderer reads (its structure checked here, as
no Mermaid parser runs offline), drawn from prod's plan, with the flows the manual describes."""

from __future__ import annotations

import itertools
import re

from preview.plan import Plan
from stack_config import BUCKET_ROLES, CDN_ROLES, UPLOAD_ROLES
from stack_config.vocabulary import LOG_BUCKET_ROLE
from tools.architecture_diagram import END, START, diagram_block, mermaid, node_id

NODE = re.compile(r'^    (\w+)(\(\[|\[\[|\[)"[^"]*"(\]\)|\]\]|\])$')
SUBGRAPH = re.compile(r'^  subgraph (\w+)\["[^"]*"\]$')
EDGE = re.compile(r'^  (\w+) (-->|-\.->)(\|"[^"]*"\|)? (\w+)$')


def parse(source: str) -> tuple[set[str], set[tuple[str, str]]]:
    """The declared ids (nodes and subgraphs) and edges; fails on any line outside the subset."""
    lines = source.splitlines()
    assert lines[0] == "flowchart LR"
    ids: list[str] = []
    edges: set[tuple[str, str]] = set()
    depth = 0
    for line in lines[1:]:
        if match := NODE.match(line) or SUBGRAPH.match(line):
            ids.append(match.group(1))
            depth += line.startswith("  subgraph ")
        elif line == "  end":
            depth -= 1
            assert depth >= 0, "an end without its subgraph"
        elif match := EDGE.match(line):
            edges.add((match.group(1), match.group(4)))
        else:
            raise AssertionError(f"not in the Mermaid subset this diagram keeps to: {line!r}")
    assert depth == 0, "a subgraph is never closed"
    assert len(ids) == len(set(ids)), "an id is declared twice"
    assert "end" not in ids  # Mermaid's keyword would break the chart
    undeclared = {end for edge in edges for end in edge} - set(ids)
    assert undeclared == set(), f"edges to undeclared ids: {undeclared}"
    return set(ids), edges


def reaches(edges: set[tuple[str, str]], path: list[str]) -> bool:
    return all(pair in edges for pair in itertools.pairwise(path))


def test_the_diagram_keeps_to_the_simple_subset_and_every_edge_joins_declared_boxes(prod_plan: Plan) -> None:
    parse(mermaid(prod_plan))
    block = diagram_block(prod_plan).splitlines()
    assert block[0] == START and block[1] == "```mermaid" and block[-2] == "```" and block[-1] == END


def test_every_bucket_and_distribution_of_the_plan_has_its_box(prod_plan: Plan) -> None:
    ids, _ = parse(mermaid(prod_plan))
    buckets = {r.name for r in prod_plan.of_type("aws:s3/bucket:Bucket")}
    assert set(BUCKET_ROLES) <= buckets
    assert {node_id("s3", name) for name in buckets} <= ids
    assert {node_id("cf", f"{role}-distribution") for role in CDN_ROLES} <= ids


def test_the_flows_the_manual_describes_are_drawn(prod_plan: Plan) -> None:
    ids, edges = parse(mermaid(prod_plan))
    assert {"vercel", "supabase_vendor", "upstash", "aws"} <= ids
    assert reaches(edges, ["ci", "stack"]) and ("stack", "aws") in edges
    assert reaches(edges, ["listeners", "app", "supabase"])
    assert {("app", "redis_cache"), ("app", "redis_ratelimit")} <= edges
    for role in CDN_ROLES:
        assert reaches(edges, ["app", node_id("cf", f"{role}-distribution"), node_id("s3", role)]), role
        assert (node_id("waf", "cdn-web-acl"), node_id("cf", f"{role}-distribution")) in edges
    for role in UPLOAD_ROLES:
        assert ("app", node_id("s3", role)) in edges
    # Every bucket but the log bucket sends its access logs there (whatever the roles' names).
    logged = {source for source, target in edges if target == node_id("s3", LOG_BUCKET_ROLE)}
    assert logged == {node_id("s3", role) for role in BUCKET_ROLES if role != LOG_BUCKET_ROLE}
    assert reaches(edges, ["app", "drain", "fn_log_drain_receiver", "cloudwatch", "alarms", "sns_alerts", "oncall"])


def test_the_picture_follows_the_plan(dev_plan: Plan, prod_plan: Plan) -> None:
    # Drawn from the plan, not by hand: dev's custom-domain-free distributions show no domain.
    assert "(media.newcool.io)" in mermaid(prod_plan)
    assert "newcool.io)" not in mermaid(dev_plan).split("subgraph aws", 1)[1]
    assert 'stack["Pulumi stack dev"]' in mermaid(dev_plan)
