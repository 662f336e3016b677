"""Events the other services' relays deliver here, fanned out to the subscriptions that may see them."""
