"""The ``outcomes`` feature: contact events into a converging call log, and what became of each contact.

Import-free on purpose: a handler imports only the modules its feature needs (cold start)."""
