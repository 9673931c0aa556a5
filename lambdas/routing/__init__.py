"""Trunkline's routing domain package, shipped in every Lambda bundle.

Nothing here builds an AWS client at import time; the data layer lives in ``routing.data``.
"""
