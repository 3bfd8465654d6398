"""The jobs layer: a request end to end (inputs, backends, sessions, the runner, batches, progress events).

Imports the client, skillmd, catalog and files layers; used by the host layer and the CLI.
"""
