"""The sync ledger: runs, errors and the user's switches, stored with dlt beside the raw data."""
