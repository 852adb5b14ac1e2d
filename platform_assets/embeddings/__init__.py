"""Sentence embeddings of service-event notes: the model resource, the incremental embedding
asset, semantic search (Python, CLI and `vectors.similar_events` in SQL) and topic features.

Importing this package loads neither torch nor the model: the weights load on first use.
"""
