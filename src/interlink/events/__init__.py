"""The event log: typed events written in the same transaction as the change they describe."""
