"""The ``outcomes`` Lambda: Amazon Connect contact events → the call log and outcome metrics."""
