"""Keyring and AES-256-GCM encryption; the credentials resource."""
