"""GenerationPipeline: requirements in, a traceable plan, suites and cases out."""
