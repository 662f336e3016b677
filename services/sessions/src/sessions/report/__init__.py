"""The session report (procès-verbal): results per candidate and block, signed once."""
