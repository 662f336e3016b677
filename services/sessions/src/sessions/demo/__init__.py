"""Demo data: an exam centre with its approvals, jurors and sessions."""
