"""Consultations and complaints (konsultasi and pengaduan) tied to an application, on the
SP4N-LAPOR! timeline (docs/complaints.md).

* :mod:`.timeline` — the 3/5/10 working-day rules, pure;
* :mod:`.store` — the ``complaints`` collection;
* :mod:`.handling` — a filing put before its agency, the agency's answer, the citizen's
  reply;
* :mod:`.clock` — the sweep that escalates overdue steps and closes answered complaints;
* :mod:`.lapor` — the SP4N-LAPOR! adapter (forward, then poll for status);
* :mod:`.api` — the agency's and the citizen's routes.
"""
