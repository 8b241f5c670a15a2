"""The newcool-guardrails rules. Only relative imports: the pack is published, and run, as a
directory of its own (docs/policy-pack.md), where no package of this repository exists."""
