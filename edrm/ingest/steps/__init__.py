"""The pure steps of the ingest pipeline: sniff (what the bytes really are) and extract (the
text, page images for OCR, properties and attachments), one module per family of formats.

Nothing here touches the database or the blob store: each step takes a path on disk and the
ingest settings, and returns the plain types of `edrm.ingest.types` or raises
`RejectedInputError` with a reason code and a message that never names the file.
"""
