"""The ``route`` feature: compiled config, rules, schedules, routing criteria, the decision and its flat reply.

Import-free on purpose: a handler imports only the modules its feature needs (cold start)."""
