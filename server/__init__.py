"""Sésame: the application (the only place HTTP exists)."""
