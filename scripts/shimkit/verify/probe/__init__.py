"""The pytest plugin the kit loads into every pytest it runs.

This directory is put on the child's ``PYTHONPATH`` and the plugin loaded with ``-p shimkit_probe``,
so it must hold nothing else a project could import by mistake.
"""
