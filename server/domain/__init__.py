"""The domain: pure Python over sqlite3 connections. No Starlette, no Jinja.

Functions here return data or raise `sync.engine.Refused` with a stable code;
the web layer translates codes into sentences.
"""
