"""Information rights: FOI, EIR and subject access requests, their statutory clocks, the request
hold on every record in a case, searches run as the case officer, and (issue 18 parts 3–4)
redaction, disclosure bundles, letters and the disclosure log.

The same vocabulary as every area: `models` (its tables), `loader` (config/disclosure.toml),
`clocks` (pure rules, like retention.rules), service modules named by noun (`requests`,
`request_events`, `bundles`, `request_searches`, `request_holds`, `costs`), `jobs` (the
scheduled jobs) and `web/` (pages). Its commands live in edrm/cli/requests.py.

Uses the edrm core; never imports retention or harvest: the request hold reaches retention's
holds through the `RequestHolds` protocol (disclosure.request_holds) that the wiring fills.
"""
