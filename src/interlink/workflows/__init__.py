"""Durable workflows: definitions and their versions, executions step by step, triggers."""
