"""Personal data under the citizen's own key (UU PDP 27/2022).

* :mod:`shared.privacy.kms` — the master key that wraps data keys (a KMS adapter; the
  local implementation reads a key file).
* :mod:`shared.privacy.vault` — one data key per citizen, wrapped, in the key vault;
  destroying it is crypto-shredding.
* :mod:`shared.privacy.personal` — sealing and opening personal values under a
  citizen's key, and keyed blind indexes for look-ups by NIK or email.
* :mod:`shared.privacy.plain_input` — request bodies refuse values that look sealed, so
  the API never opens a pasted sealed value.

docs/privacy.md tells where every personal field lives and who can read it.
"""
