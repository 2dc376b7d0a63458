"""Results: KPIs and tidy tables built once from a run's records."""
