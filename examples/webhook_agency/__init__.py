"""An agency system that takes applications by signed webhook.

Copy this to connect an agency's own system: it depends on nothing of the platform but
the webhook contract (``docs/agency-contract.md``): verify the Standard Webhooks
signature and timestamp, dedupe by ``webhook-id``, answer 2xx at once, and report
statuses back through the agency API with the agency's API key.
"""
