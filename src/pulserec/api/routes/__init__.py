"""Route groups, each built by a function that receives the services it needs."""
