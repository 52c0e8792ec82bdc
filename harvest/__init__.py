"""Knowledge: the expertise directory, expert search, leavers and harvest interviews.

Uses the edrm core; never imports retention.
"""
