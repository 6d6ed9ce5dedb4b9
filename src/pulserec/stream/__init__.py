"""Events that other systems write to a Redis stream, consumed into pulserec
(``pulserec consume``; :mod:`.consumer`)."""
