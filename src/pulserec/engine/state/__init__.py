"""engine.state."""
