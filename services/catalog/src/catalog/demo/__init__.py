"""Demo data of the catalog: the certifications named in the source document."""
