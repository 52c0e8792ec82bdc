"""Errors the services raise; entry points turn them into pages, JSON or one CLI line."""


class EdrmError(Exception):
    """Base class: the message is written for the person who asked."""


class NotFoundError(EdrmError):
    """It does not exist, or the person may not know that it exists."""


class RefusedError(EdrmError):
    """The person may see it but may not do this to it (or the object's state forbids it)."""


class InvalidInputError(EdrmError):
    """The input is wrong; the message says which part and why."""
