"""Deliveries of events to subscriptions: the log, the attempts and the worker that sends them."""
