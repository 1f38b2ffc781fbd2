"""What people read on the campaign server: records, findings, the review queue, search.

Read-only queries over the stages' tables, for the server's pages and JSON API (and any
other door).  Scope is the caller's: each function says which commune a record belongs
to (``record_commune``), and the server checks it against the account before showing
anything.  ID numbers come masked unless the caller asks for them in clear (and logs
that reveal: ``landclean.browse.reveal``).
"""
