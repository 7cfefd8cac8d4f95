"""Warehouse -> Klaviyo: export a query to validated, size-limited CSV files and their manifest."""
