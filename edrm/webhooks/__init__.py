"""Webhooks: administrators subscribe a URL to events (document filed, record declared,
disposal due, hold placed or lifted, leaver registered); each event is written to an outbox in
the transaction that caused it (`outbox.enqueue`, called by the areas) and sent from there,
signed and retried with backoff, every attempt logged (`delivery.deliver_due`).

The areas import `enqueue` and the event names from `edrm.webhooks.outbox`, which imports
nothing but the models, so that hooking an event into a service adds no import cycle.
"""
