"""Search: the SearchBackend interface and its engines. Imports nothing else from the project."""
