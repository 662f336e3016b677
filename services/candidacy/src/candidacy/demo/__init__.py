"""Demo data: a partner organisation with candidates and candidacies."""
