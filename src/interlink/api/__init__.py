"""HTTP plumbing shared by every router: middleware, error handlers, idempotent POSTs."""
