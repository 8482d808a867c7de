"""The selection flags (--service, --cluster, --project, ...) are declared once: the fields of
``model.Request``. Every seamless-service-* command's click options, the request the command
builds and the flags the configuration layer applies are derived from them (issue 16 point 5;
they used to be written out seven times, and drifted). The --help pages themselves are
compared with docs/reference by tests/test_docs.py."""

from __future__ import annotations

import importlib
from dataclasses import fields

import click
import pytest

from seamless_config_services import api, config
from seamless_config_services.cli import COMMANDS
from seamless_config_services.model import Request

FLAGS = ["--" + spec.name.replace("_", "-") for spec in fields(Request)]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_the_selection_flags_in_declaration_order(name: str) -> None:
    command: click.Command = importlib.import_module(f"seamless_config_services.cli.{COMMANDS[name]}").command
    options = [p for p in command.params if isinstance(p, click.Option) and p.opts[0] in FLAGS]
    assert [p.opts[0] for p in options] == FLAGS
    for param, spec in zip(options, fields(Request), strict=True):
        assert param.help == spec.metadata["help"]
        assert param.name == spec.name  # the value lands in the Request field of that name


def test_the_configuration_flags_are_request_fields() -> None:
    names = {spec.name for spec in fields(Request)}
    assert {spec.name for spec in fields(config.Overrides)} <= names
    assert api.Request is Request  # the API's name for it (api.Request(...) in user code)
