"""The retrieval core: text, corpus, retrieval, answering, rendering. Imports neither telegram nor pydantic_settings."""
