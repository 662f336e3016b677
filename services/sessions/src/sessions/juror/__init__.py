"""Jurors (membres de jury) and their habilitations."""
