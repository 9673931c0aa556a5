"""The ``callback`` feature: number checks, the per-queue offer policy, the two-phase service and its store.

Import-free on purpose: a handler imports only the modules its feature needs (cold start)."""
