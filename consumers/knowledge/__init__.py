"""The knowledge consumer: embeds cases, requirements, issues and feedback into the project's
knowledge base, and serves retrieval to the generation workflow."""
