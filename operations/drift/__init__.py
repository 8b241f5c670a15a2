"""What changed behind the stack's back: the refresh classified (`make drift`), the live schema
against the migrations (`make db-drift`), and the drift issue and page."""
