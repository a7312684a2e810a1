"""Fees: bills, the billers that issue them, and the payments that settle them.

The pieces, in the order a fee meets them (docs/payments.md):

* :mod:`.holding` — routing holds an application whose fee is due before the agency
  starts, and makes its bill in the same transaction;
* :mod:`.bills` — a bill's states and the one collection bills live in;
* :mod:`.simponi` — SIMPONI's billing codes for PNBP, and the signature of its callbacks;
* :mod:`.sweep` — payment codes for new bills, expiry for unpaid ones;
* :mod:`.settling` — a payment report applied exactly once;
* :mod:`.api` — the callback SIMPONI calls;
* :mod:`.qris` and :mod:`.snap` — the dynamic QRIS payload and Bank Indonesia's SNAP
  signatures, for the regional levies paid at the region's bank.
"""
