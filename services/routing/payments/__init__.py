"""Fees: bills, the billers that issue them, and the payments that settle them.

The pieces, in the order a fee meets them (docs/payments.md):

* :mod:`.holding` — routing holds an application whose fee is due before the agency
  starts, and makes its bill in the same transaction;
* :mod:`.release` — a fee due after approval: billed with the approval, completion
  refused until it is paid;
* :mod:`.bills` — a bill's states and the one collection bills live in;
* :mod:`.simponi` — SIMPONI's billing codes for PNBP, and the signature of its callbacks;
* :mod:`.qris` and :mod:`.levies` — the dynamic QRIS payload of a regional levy, and the
  region's merchant account it names;
* :mod:`.sweep` — payment codes for new bills, expiry for unpaid ones;
* :mod:`.settling` — a payment report applied exactly once;
* :mod:`.api` — the callback SIMPONI calls;
* :mod:`.snap`, :mod:`.snap_sessions` and :mod:`.snap_api` — Bank Indonesia's SNAP: its
  signatures, the tokens and call ids remembered, and the region's bank's door with the
  one path every signed call takes;
* :mod:`.va` and :mod:`.va_api` — a levy's virtual account, and the bank's inquiry and
  payment calls about it;
* :mod:`.refunds`, :mod:`.bank_refunds` and :mod:`.refunds_api` — a paid levy refunded,
  guarded by the amount still refundable, through the bank, at the finance officer's
  request (:mod:`.region_staff` says who that is);
* :mod:`.settlement_file`, :mod:`.reconciliation` and :mod:`.reconciliation_api` — a
  day's settlement file matched to the bills, its findings, and the region's finance
  officer's view of them.
"""
