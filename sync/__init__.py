"""The sync protocol: commands, idempotency, the version counter.

Domain-agnostic: this package imports nothing of `server`. The server
registers handlers (one per `op`) and calls `engine.apply_command`.
"""
