"""The information-rights pages (redaction, bundle export, response and the disclosure log)."""
