"""Operator commands: preflights and checks run against the live accounts (make adopt-plan, make verify)."""
