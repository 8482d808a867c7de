"""The selection flags (--service, --cluster, --project, ...) are declared once: the fields of
``model.Request``. Every seamless-service-* command's table options (and the click options
built from the table for completion), the request the command builds and the flags the
configuration layer applies are derived from them (issue 16 point 5; they used to be written
out seven times, and drifted). The --help pages themselves are
compared with docs/reference by tests/test_docs.py."""

from __future__ import annotations

from dataclasses import fields

import click
import pytest

from seamless_config_services import api, config
from seamless_config_services.cli import COMMANDS, _click, _table
from seamless_config_services.model import Request

FLAGS = ["--" + spec.name.replace("_", "-") for spec in fields(Request)]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_the_selection_flags_in_declaration_order(name: str) -> None:
    entry = _table.entry(name)
    declared = [option for option in entry.options if option.flags[-1] in FLAGS]
    assert [option.flags[-1] for option in declared] == FLAGS
    for option, spec in zip(declared, fields(Request), strict=True):
        assert option.help == spec.metadata["help"]
        assert option.dest == spec.name  # the value lands in the Request field of that name
    command = _click.build(entry)  # what completion and usage errors use: the same flags
    options = [p for p in command.params if isinstance(p, click.Option) and p.opts[0] in FLAGS]
    assert [p.opts[0] for p in options] == FLAGS
    for param, spec in zip(options, fields(Request), strict=True):
        assert param.help == spec.metadata["help"]
        assert param.name == spec.name  # the value lands in the Request field of that name


def test_the_configuration_flags_are_request_fields() -> None:
    names = {spec.name for spec in fields(Request)}
    assert {spec.name for spec in fields(config.Overrides)} <= names
    assert api.Request is Request  # the API's name for it (api.Request(...) in user code)
