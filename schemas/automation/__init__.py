"""Automations: the graph language, its templates, and the data its Temporal workflow carries."""
