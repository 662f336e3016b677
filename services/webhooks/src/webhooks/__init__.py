"""VAE webhooks service: partners subscribe to events and receive signed deliveries."""
