"""Taking over the live accounts: the read-only preflight (`make adopt-plan`) and what it records in `live_state/`."""
