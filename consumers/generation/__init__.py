"""Starts the GenerationPipeline workflow for each generation request."""
