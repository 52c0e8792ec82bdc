"""E-mail in: file by forwarding (issue 13 part 6).

A message sent to the capture address (`mail_capture_address`), by SMTP to `edrm mail serve`
(`listener`) or left in an IMAP mailbox that `edrm mail poll` reads (`mailbox`), becomes an
ingest job like any upload: the raw message (.eml) is the parent document's original and its
body its text; the ingest pipeline makes every attachment a child document. Who sent it must be
an account's e-mail address (`senders`); a file-plan code in the subject or a plus-address
chooses the class (`message`). What the message said about its own sending (from, to, cc,
date, message-id, the recipients as received) is kept in a table no one can change
(`models.Transmission`), and shown on the document page (`view`).

`receive.store` is the one door: the bytes go to the blob store (fsynced), then the ingest job
and the transmission are committed in one transaction, and only then does the listener answer
250 or the poller move the message on the server.
"""
