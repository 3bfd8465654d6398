"""The files layer: media sniffing and probing, documents, link checks, output naming, atomic writes,
the loopback servers' Host check, and what shows a finished video without playing it (contact sheets,
a batch's gallery page).

Imports only the shared terms at the root; used by every layer above and by the local backend.
"""
