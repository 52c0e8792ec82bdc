"""Demo data: users, folders and a deterministic corpus of realistic government documents."""
