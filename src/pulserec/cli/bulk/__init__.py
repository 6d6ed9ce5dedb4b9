"""``pulserec recommend``: every user's list to a file, in process or over HTTP."""
