"""Harvest interviews, by noun:

- `questions`: the question banks and templates from config/interviews.toml, and the questions
  a plan starts with;
- `plans`: a plan per leaver pre-filled from a template and the leaver's top three at-risk
  classes, and a plan as one participant sees it;
- `sessions`: interview sessions recording answers, attendees and follow-ups;
- `filing`: approval by the leaver and the line manager, and filing the approved write-up as a
  record.

Drafts (a plan and its sessions until filed) are seen only by HR, the leaver, the line manager
and the successor, and every view of one is audited. Answers are kept as plain text (paragraphs
separated by blank lines; no HTML is ever stored or rendered from them).
"""
