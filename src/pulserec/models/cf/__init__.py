"""models.cf."""
