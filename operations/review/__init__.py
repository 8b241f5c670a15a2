"""Review environments (pr-<N> stacks): the cap, the branch tests, the sweep of what is left
(docs/runbooks/review-environments.md)."""
