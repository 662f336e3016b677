"""The public calendar of exam sessions exported as LHEO 2.3 (the offer format of the Carif-Oref)."""
