"""``commands._words.quote``/``join``: the one shell-word writer of remote_http_launcher (the
state file's ``command``, rhl-guard's ``would run`` line, the lines an ``rhl-batch --each``
template expands to) is :mod:`shlex`'s exact text, and the guard's own splitter reads it back."""

from __future__ import annotations

import shlex

from hypothesis import given
from hypothesis import strategies as st

from remote_http_launcher.commands._words import join, quote, split


@given(st.lists(st.text(), max_size=6))
def test_join_is_shlex_join_and_splits_back_without_specials(words: list[str]) -> None:
    assert join(words) == shlex.join(words)
    assert [quote(word) for word in words] == [shlex.quote(word) for word in words]
    if words:
        assert split(join(words)) == [(word, "") for word in words]
