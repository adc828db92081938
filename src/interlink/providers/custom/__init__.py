"""`custom`: providers declared as data (`declaration`), built into connectors (`provider`)."""
