"""Side-by-side benchmarks: the service against the CNCF registry, the provider, the scanner."""
