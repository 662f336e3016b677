"""The Certif Info ↔ RNCP correspondence: its CSV reader, import and admin endpoint."""
