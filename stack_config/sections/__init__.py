"""One validator module per section of the stack file; each returns its part of the model."""
