"""Answering: what a question asks, evidence, vocabulary, preferences; reranks the kernel's candidates."""
