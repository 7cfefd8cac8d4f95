"""Operating the sync: guarded runs (lock, retries, pause), scheduler, check, status and dashboard."""
