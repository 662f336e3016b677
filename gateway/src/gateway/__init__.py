"""The gateway: one front door for the VAE services."""
