"""Background jobs: a typed registry of handlers, a lease-based runner on top of a Huey queue."""
