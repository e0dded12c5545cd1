"""Each platform's own words: signatures, payload mapping, ingest by topic, calls out; shared shapes in ``common``."""
