"""The identity service: its OpenID Connect provider, driven as its clients drive it."""
