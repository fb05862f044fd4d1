"""Domain rules shared by the web pages, the CLI and the job process.

What a service may import, how it locks and changes a reservation, and where a new rule
goes: docs/architecture.md.
"""
