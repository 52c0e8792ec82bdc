"""Notifications (issue 13 part 5): e-mails to people about what waits for them — records to
review, documents on their triage list, harvest interviews due, write-ups to approve, a legal
hold on their records.

How the areas reach it (the inward-pointing way, like webhooks): the producing area calls
`edrm.notifications.outbox.notify(session, kind, usernames, …)` in the transaction of the event
that causes it. `outbox` imports nothing but this package's models, kinds and preferences and the
people model, so retention, harvest and ingest depend on this package and never it on them.

What is written names documents by id only; titles are put into a message when it is sent, and
only those the recipient may see then (`message`). `delivery` sends the outbox by SMTP or GOV.UK
Notify (`senders`), `jobs` folds digest notifications into one e-mail a day.
"""
