"""Automations on the bus: start executions (run requests and event triggers), keep schedules in
step with definitions, and bridge run and generation results back to waiting executions."""
