"""People: user accounts, groups and units, roles and clearances."""
