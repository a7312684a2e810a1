"""The four services of the platform. They never import one another."""
