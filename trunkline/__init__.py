"""Trunkline local tools: the CLI, the embedded store, the config generator, the demo and the flow simulator.

They import ``routing`` (from lambdas/); nothing in lambdas/ imports them."""
