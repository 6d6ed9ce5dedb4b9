"""Privacy: differential privacy for what is published to everyone, and its accounting."""
