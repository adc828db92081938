"""One module per kind of bundle item: how import finds, compares, creates and changes it."""
