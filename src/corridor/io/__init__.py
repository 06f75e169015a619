"""Results on disk: Parquet tables, JSON metadata, atomic writes."""
