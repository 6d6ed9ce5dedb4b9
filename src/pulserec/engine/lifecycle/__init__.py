"""engine.lifecycle."""
