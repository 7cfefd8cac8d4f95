"""klaviyo-warehouse-sync: Klaviyo <-> data warehouse sync (dlt loader, dbt package, CSV export, SFTP)."""

__version__ = "0.1.0"
