# Generated from _async/__init__.py by sdk/unasync.py: edit that file, not this one.
