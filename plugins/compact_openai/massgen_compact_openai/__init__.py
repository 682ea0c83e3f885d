"""MassGen plugin: OpenAI's native Responses compaction instead of LLM summarization."""

__version__ = "0.2.0"
