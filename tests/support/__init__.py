"""Test support code: the shared app, a real SMTP server, the calendar parsers, races."""
