"""An agency system that takes applications from its Kafka inbox.

Copy this to connect an agency's own system: it depends on nothing of the platform but
the topic names and the JSON contract (see ``docs/agency-contract.md``).
"""
