"""The web layer: thin blueprints by audience.

No blueprint imports another; what two share is in web/forms.py and web/presenters/
(docs/architecture.md, checked by tests/test_architecture.py).
"""
