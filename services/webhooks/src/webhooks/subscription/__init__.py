"""Partners' subscriptions: target URL, event types, signing secrets."""
