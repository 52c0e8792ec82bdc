"""Retention and disposal: rules, sweep, review, holds, transfer (uses the edrm core)."""
