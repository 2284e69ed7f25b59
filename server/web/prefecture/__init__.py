"""The prefecture's back office: the inbox, a file under review, the audit trail.

One module per screen family. Every page here is for the staff of one
prefecture (`policy.may_review`), is never cached (`no-store`: an office
computer is shared, and a copy read from a cache would escape the audit), and
opens a file only after the `file.view` command has committed its audit row.
"""
