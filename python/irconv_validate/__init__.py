"""`irconv --validate`'s oracle process: see __main__.py."""
