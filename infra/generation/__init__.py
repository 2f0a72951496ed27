"""Test generation engines (offline heuristics, any LLM through litellm) behind one interface,
and retrieval of examples from the knowledge base. Used by the generation pipeline's activities."""
