"""The ``seamless-service-*`` commands: one table entry each (:mod:`._table`), run by
:mod:`._run`, with a small body module each over :mod:`..api`."""

#: Command name -> module in this package that holds its body (function ``run``).
COMMANDS = {
    "seamless-service-ps": "ps",
    "seamless-service-stop": "stop",
    "seamless-service-rm": "rm",
    "seamless-service-logs": "logs",
    "seamless-service-inspect": "inspect",
    "seamless-service-clear": "clear",
    "seamless-service-resolve": "resolve",
    "seamless-service-start": "start",
    "seamless-service-restart": "restart",
    "seamless-service-doctor": "doctor",
}
