"""Connector types: the facts of each provider Interlink connects to."""
