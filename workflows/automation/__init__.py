"""AutomationRun: the interpreter of automation graphs, and its activities."""
