"""``python -m remote_http_launcher.cli NAME``: kept as a name for the one runner
(:mod:`remote_http_launcher.commands`), which the launcher's local executor calls."""
