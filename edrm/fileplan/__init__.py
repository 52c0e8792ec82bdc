"""The file plan (business classification scheme): classes and folders."""
