"""Catalog service."""
