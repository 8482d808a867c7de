"""``model.record``: the plain ``__slots__`` classes that replaced the dataclasses of the
client's common paths behave as the dataclasses did (issue 16).

Each record is compared with a dataclass declared the same way: construction (keywords,
positions, defaults, factories, the errors), ``repr``, equality, hashing and assignment of
frozen records, copies and pickles; and ``dataclasses.fields``/``replace``/``astuple`` still
accept a record, so ``fields(Request)`` is the one declaration of the selection flags that
the command table, click and the MCP schemas read.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest

from seamless_config_services import model
from seamless_config_services.model import Cluster, Frontend, Request, Selection, field, record


@record(frozen=True)
class Point:
    x: int
    y: int = 0
    tags: list[str] = field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class DataPoint:
    x: int
    y: int = 0
    tags: list[str] = dataclasses.field(default_factory=list)


def test_construction_repr_and_equality_are_the_dataclasses() -> None:
    for args, kwargs in [((1,), {}), ((1, 2), {}), ((), {"x": 1, "tags": ["a"]}), ((1,), {"y": 5})]:
        ours, theirs = Point(*args, **kwargs), DataPoint(*args, **kwargs)
        assert repr(ours).replace("Point", "DataPoint") == repr(theirs)
        assert (ours.x, ours.y, ours.tags) == (theirs.x, theirs.y, theirs.tags)
    assert Point(1) == Point(1) and Point(1) != Point(2) and Point(1) != DataPoint(1)
    assert Point(1).tags is not Point(1).tags  # a factory per instance
    assert hash(Point(1, 2, ())) == hash(DataPoint(1, 2, ()))  # type: ignore[arg-type]  # both hash their fields


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((), {}), ((1, 2, [], 4), {}), ((1,), {"x": 2}), ((1,), {"z": 3})],
)
def test_bad_arguments_are_a_type_error_as_for_the_dataclass(
    args: tuple[object, ...], kwargs: dict[str, object]
) -> None:
    with pytest.raises(TypeError):
        DataPoint(*args, **kwargs)  # type: ignore[arg-type, misc]
    with pytest.raises(TypeError):
        Point(*args, **kwargs)  # type: ignore[arg-type, misc]


def test_frozen_records_refuse_assignment_and_mutable_ones_take_it() -> None:
    point = Point(1)
    with pytest.raises(AttributeError):
        point.x = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        point.other = 2  # type: ignore[attr-defined]  # __slots__: no stray attributes
    selection = Selection()
    selection.cluster = "c"
    assert selection.effective_execution() == "remote"
    with pytest.raises(TypeError):
        hash(selection)  # eq without frozen: unhashable, as a dataclass


def test_copies_and_pickles_are_equal() -> None:
    cluster = Cluster(name="a", frontends=(Frontend("h", sections={"hashserver": {"x": 1}}),))
    for again in (copy.copy(cluster), copy.deepcopy(cluster), pickle.loads(pickle.dumps(cluster))):
        assert again == cluster and again is not cluster


def test_the_dataclasses_functions_accept_records() -> None:
    request = Request(service="hashserver", stage="s1")
    assert dataclasses.is_dataclass(request)
    assert dataclasses.replace(request, stage="s2") == Request(service="hashserver", stage="s2")
    assert model.replace(request, stage="s2") == Request(service="hashserver", stage="s2")
    assert dataclasses.astuple(request) == model.astuple(request)
    assert dataclasses.replace(Point(1, tags=["a"]), y=3) == Point(1, 3, ["a"])


def test_the_selection_flags_are_declared_once() -> None:
    """dataclasses.fields (the MCP schemas) and model.fields (the command table) read the
    same declaration: names, order, defaults and metadata."""
    ours = [(spec.name, spec.default, dict(spec.metadata)) for spec in model.fields(Request)]
    theirs = [(spec.name, spec.default, dict(spec.metadata)) for spec in dataclasses.fields(Request)]
    assert ours == theirs
    assert [name for name, _default, _meta in ours] == list(Request.__slots__)
    assert all(meta["help"] for _name, _default, meta in ours)
