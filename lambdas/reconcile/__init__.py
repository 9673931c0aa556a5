"""The ``reconcile`` Lambda: our outcome counts against Connect's own historical metrics, hourly."""
