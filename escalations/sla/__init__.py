"""The SLA engine: business-calendar arithmetic and the clocks built on it."""
