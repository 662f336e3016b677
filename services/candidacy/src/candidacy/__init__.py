"""The VAE candidacy service."""
