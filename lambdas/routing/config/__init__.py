"""Config-as-code: schema, loading and validation (``loader``), the normalized document and its hash; the store of
versions (``store``), the compiled active version kept per call path (``cache``), publishing and rollback
(``publishing``) and who owns which field (``ownership``).

Import-free on purpose: the route function imports ``routing.config.cache`` and ``routing.config.store`` on its call
path, and must not pay for the loader's pydantic schema (cold start).
"""
