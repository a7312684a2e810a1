"""Intake: takes citizens' applications from web and mobile, stores them, and publishes
their events through the transactional outbox."""
