"""The launcher (``remote-http-launcher CONFIG`` and ``run()``): configuration, launch, tunnels."""
