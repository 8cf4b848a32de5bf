"""Code that serves tests and benchmarks, not the domain: random scenarios (``synthetic``)."""
