"""Live queue metrics: the poller that calls ``GetCurrentMetricData`` within budget, the store, and the
route function's batched, cached reader.

Import-free on purpose: a handler imports only the modules its feature needs (cold start)."""
