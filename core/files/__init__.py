"""The files layer: media sniffing, documents, link checks, output naming and atomic writes.

Imports only the shared terms at the root; used by every layer above and by the local backend.
"""
