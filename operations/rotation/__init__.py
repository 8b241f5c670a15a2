"""One credential replaced, proven and revoked (`make rotate`)."""
