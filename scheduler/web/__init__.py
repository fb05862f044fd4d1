"""The web layer: thin blueprints by audience."""
