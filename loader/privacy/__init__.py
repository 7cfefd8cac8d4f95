"""Privacy: what a deleted or forgotten profile leaves in the raw tables (`redact`), and
`klaviyo-sync forget` (`forget`). See docs/operations.md, "Deleted profiles and forget"."""
