"""models.text."""
