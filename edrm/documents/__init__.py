"""Documents, their immutable content versions, and records."""
