"""Operating the platform: the local stack, the process supervisor and the ``mpp`` CLI."""
