"""Storage: models, engine and the unit of work."""
