"""Certifications, their blocks, codes and lineage."""
