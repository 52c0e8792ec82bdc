"""The web application: pages and JSON API (Flask). Only this package imports Flask."""
