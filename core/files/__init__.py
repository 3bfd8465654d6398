"""The files layer: media sniffing, documents, link checks, output naming, atomic writes
and the loopback servers' Host check.

Imports only the shared terms at the root; used by every layer above and by the local backend.
"""
