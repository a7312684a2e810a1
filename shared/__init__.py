"""What every MPP Digital service shares: the event contract, topic registry, settings,
logging, and the helpers that connect to Kafka and MongoDB.

Services never import one another; this package and the events on the wire are all
they have in common.
"""
