"""The ledger of acquired blocks (blocs acquis) and their expiry."""
