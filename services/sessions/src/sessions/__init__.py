"""The VAE sessions service."""
