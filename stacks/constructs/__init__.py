"""One construct per concern: data, Lambda defaults, routing, Connect integration."""
