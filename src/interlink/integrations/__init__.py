"""The integrations resource: configured connections to external systems."""
