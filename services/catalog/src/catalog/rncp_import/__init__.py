"""Import of the France compétences RNCP open-data export."""
