"""Routes: named, versioned policies over several language-model integrations (fallback chain,
weighted balancing, rules by what a request needs), used as a model name by the gateway."""
