"""Service types: the five built-ins (one module each) and the base class third parties subclass.

The built-ins are registered by the ordinary plugin :mod:`.builtin`; nothing here imports them
eagerly, so importing :mod:`.base` to write a third-party type stays cheap.
"""
