"""The MPP's queue: a quota ledger per region, service, day and slot shared by bookings
and walk-in tickets, and booking a slot from the phone (docs/queue.md)."""
