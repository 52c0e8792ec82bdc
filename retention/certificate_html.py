"""A certificate of destruction (or transfer receipt) as a standalone HTML page (when
config/disposal.toml asks for html): the same content as the PDF (retention.certificate_pdf),
in a readable proportional typeface, full titles, reasons and checksums."""

from __future__ import annotations

import html

from retention.certificate_content import Certificate, approvals, day, moment, place
from retention.models import ResidualStub

STYLE = """body{font-family:"DejaVu Sans",system-ui,sans-serif;margin:2em auto;max-width:60em;
line-height:1.45;color:#0b0c0c;padding:0 1em}h1{font-size:1.9em}dt{font-weight:bold}
dd{margin:0 0 .4em 12em}dt{float:left;width:11.5em}.record{border-top:1px solid #b1b4b6;
padding:.6em 0}.record h3{margin:.2em 0}.facts{color:#505a5f;font-size:.92em}
.sha{font-family:"DejaVu Sans Mono",monospace;font-size:.85em;overflow-wrap:anywhere}
.marking{text-align:center;font-weight:bold}"""


def _pairs(cert: Certificate) -> list[tuple[str, str]]:
    rows = [
        ("Batch", f"{cert.batch_id} ({len(cert.stubs)} records)"),
        ("Started", f"{moment(cert.created_at)} by {cert.who(cert.created_by)}"),
        ("Completed", moment(cert.completed_at)),
        ("Certified by", cert.who(cert.executed_by)),
    ]
    if cert.transfer is not None:
        t = cert.transfer
        rows += [
            ("Transferred to", t.archive),
            ("Package", ", ".join(t.bag_ids) or "not recorded"),
            ("Archive's receipt", "; ".join(r for r in t.receipts if r) or "not recorded"),
        ]
    if cert.audit_range is not None:
        rows.append(("Audit entries", f"{cert.audit_range[0]} to {cert.audit_range[1]}"))
    return rows


def _record(cert: Certificate, s: ResidualStub) -> str:
    e = html.escape
    facts = [f"Class: {place(s)}", f"Marking: {s.marking}", f"Created {day(s.created_at)}"]
    if s.declared_at:
        facts.append(f"Declared {day(s.declared_at)}")
    facts.append(f"Rule: {s.rule_code}")
    lines = [
        f"<li>Approved by {e(cert.who(str(a['by'])))} on {e(a['on'])} (stage {e(str(a['stage']))})"
        + (f": {e(a['reason'])}" if a["reason"] else "")
        + "</li>"
        for a in approvals(s)
    ]
    went = "Removed here after transfer" if cert.transfer is not None else "Destroyed"
    lines.append(f"<li>{went} {e(moment(s.destroyed_at))} by {e(cert.who(s.destroyed_by))}</li>")
    lines += [
        f'<li>Content SHA-256 v{n}: <span class="sha">{e(sha)}</span></li>'
        for n, sha in enumerate(cert.checksums.get(s.document_id, []), start=1)
    ]
    return (
        f'<div class="record"><h3>{e(s.identifier)} {e(s.title)}</h3>'
        f'<p class="facts">{e("  ·  ".join(facts))}</p><ul>{"".join(lines)}</ul></div>'
    )


def render_html(cert: Certificate) -> bytes:
    e = html.escape
    pairs = "\n".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in _pairs(cert))
    rules = "\n".join(
        f"<dt>{e(code)}</dt><dd>{e(authority)}</dd>" for code, authority in cert.rules
    )
    records = "\n".join(_record(cert, s) for s in cert.stubs)
    went = "transferred" if cert.transfer is not None else "destroyed"
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{e(cert.title)}</title>
<style>{STYLE}</style></head>
<body>
<p class="marking">{e(cert.marking.value)}</p>
<h1>{e(cert.title)}</h1>
<p>{e(cert.statement())}</p>
<dl>
{pairs}
</dl>
<h2>Authority for disposal</h2>
<dl>
{rules}
</dl>
<h2>Records {went}</h2>
{records}
</body></html>
"""
    return page.encode("utf-8")
