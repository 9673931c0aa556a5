"""Trunkline's routing domain package, shipped in every Lambda bundle: one sub-package per feature.

``common`` (what every feature shares), ``route``, ``callback``, ``outcomes``, ``live_metrics`` and ``config``; the
module map is in docs/architecture.md. Nothing here builds an AWS client at import time, and no package
``__init__`` imports its modules (a handler pays only for the feature it serves).
"""
