"""Statistics without personal data for the regional observatories."""
