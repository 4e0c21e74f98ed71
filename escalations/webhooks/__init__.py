"""Outbound webhooks: other tools hear about escalations and remediations as they happen.

`models` holds the registered endpoints and one delivery row per (endpoint, event); `events` queues deliveries in
the caller's transaction; `delivery` sends them, signed, with the outbox's claim/retry/backoff pattern.
"""
