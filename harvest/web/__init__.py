"""Harvest's pages and JSON endpoints, one module per page group:

- `directory`: the directory and profiles, find an expert, communities, and the people panel
  beside record search results (blueprints `directory` and `directory_api`);
- `leavers`: HR's leavers dashboard and the leaver and risk pages (blueprints `leavers` and
  `leavers_api`);
- `interviews`: harvest plans with their sessions (a task list), approvals and filing (on the
  `leavers` blueprint);
- `knowledge`: the knowledge you own and its reviews, and HR's knowledge at risk (on the
  `leavers` blueprint).

Forms are edrm.web.forms.ActionForm (CSRF only); harvest has no form classes of its own.
"""

from harvest.web import directory, interviews, knowledge, leavers

#: The page blueprints, and the JSON API blueprints (which check their token themselves).
PAGES = (directory.bp, leavers.bp)
APIS = (directory.api, leavers.api)
__all__ = ["APIS", "PAGES", "directory", "interviews", "knowledge", "leavers"]
