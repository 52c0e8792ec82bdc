"""The ingest pipeline: receive → sniff → extract → OCR → metadata → classify → file → index."""
