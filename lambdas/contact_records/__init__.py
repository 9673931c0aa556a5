"""The ``contact-records`` Lambda: Amazon Connect contact records (Kinesis) → the call log."""
