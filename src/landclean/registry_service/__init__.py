"""Land users verified through the national population service (docs/registry-service.md):
the protocol as data (``protocol``), batches of requests and what was sent
(``batches``), response files read (``responses``), verdicts checked and applied
(``verdicts``), the online connector (``connector``)
and a simulated service for tests and demos (``simulator``)."""
