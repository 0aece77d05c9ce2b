"""Bundled plugins, one folder each (a package with a plugin.toml manifest); docs/plugins.md explains them.

Enable one by name in node.toml: `[plugins] enabled = ["welcome"]`. Nothing here is imported unless enabled.
"""
