"""Knowledge: the expertise directory, expert search, leavers and harvest interviews.

The same vocabulary as every area: `models` (its tables), `loader` (config/harvest.toml),
service modules named by noun (`directory/`, `expert_search`, `communities`, `inference`,
`terms`, `leavers`, `risk`, `reminders`, `interviews/`), `jobs` (the scheduled jobs), `web/`
(pages and JSON endpoints) and `demo` (the demo's data). Its commands live in edrm/cli/
(people, experts, leavers).

Uses the edrm core; never imports retention.
"""
