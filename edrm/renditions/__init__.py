"""Renditions: derived copies of a document's version (a searchable PDF/A of a scan, a PDF of
an office file). A rendition is not a version: the original stays the record; the rendition
has its own checksum and blob, is shown beside the versions and is destroyed with them."""
