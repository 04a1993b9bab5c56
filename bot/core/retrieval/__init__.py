"""Retrieval: an exact BM25Plus kernel that ranks weighted index terms and knows nothing of questions."""
