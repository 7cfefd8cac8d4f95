"""Export files -> Klaviyo: upload them over verified SFTP to `profiles/` or `events/`, with SSH
keys for it and the import history."""
