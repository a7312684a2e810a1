"""Identity: citizens' accounts and staff accounts, sign-in, proofs of NIK and contacts."""
