"""The deploys' sealed records, written by the deploy workflow and checked by `make evidence`."""
