"""models.sequence."""
