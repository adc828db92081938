"""What every domain uses: database, ids, errors, envelope, pagination, clock."""
