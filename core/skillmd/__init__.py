"""The skillmd layer: SKILL.md text for agent hosts (context, frontmatter, templates, generation).

Imports the catalog and files layers and the shared terms; never the HTTP client.
"""
