"""The catalog layer: the skill model, plugin hooks, the plugin manager, the registry and the router.

Imports only `files/` and the shared terms at the root (`errors`, `protocol`); never HTTP, the CLI or the
local backend, so a skill plugin's import closure stays small.
"""
