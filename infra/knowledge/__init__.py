"""The project knowledge base: embeddings of cases, requirements and issues with what people
thought of them, in Qdrant (local mode on disk in the embedded stack, a server in compose.yaml).
Every query is filtered by project."""
