"""Hypothesis strategies shared by the property tests of every app."""

from __future__ import annotations

from hypothesis import strategies as st


def json_values(
    *, text_size: int = 30, key_size: int = 10, width: int = 4, max_leaves: int = 10
) -> st.SearchStrategy[object]:
    """Any JSON value: what a hostile client can put in a body, frame or argument."""
    scalars = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=text_size)
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=width)
        | st.dictionaries(st.text(max_size=key_size), inner, max_size=width),
        max_leaves=max_leaves,
    )
