"""Trunkline's CDK app: stacks compose constructs (one construct per concern in ``stacks.constructs``)."""
