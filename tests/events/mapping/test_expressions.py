"""The fast paths for common expressions give exactly what JMESPath gives."""

import jmespath
import pytest

from events.rules.mapping.expressions import searcher_compile

DATA = [
    {
        "a": {"b": {"c": 1}},
        "items": [{"id": 1, "v": "x"}, {"id": 2}, None, "text", [{"id": 3}, 4], {"v": None}],
    },
    {"a": {"b": "not a dict"}, "items": {"id": 1}},
    {"a": None, "items": None},
    {},
    [1, 2],
    "text",
    None,
]


@pytest.mark.parametrize(
    "expression",
    ["a", "a.b", "a.b.c", "a.b.c.d", "items[].{id: id, value: v}", "items[].{only: id}", "items[0].id"],
)
def test_the_searcher_agrees_with_jmespath_on_every_shape_of_data(expression):
    search = searcher_compile(expression)

    assert [search(data) for data in DATA] == [jmespath.search(expression, data) for data in DATA]
