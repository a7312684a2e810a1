"""Routing: dispatches each application to its agency's handler and owns the status
workflow and the SLA clock."""
