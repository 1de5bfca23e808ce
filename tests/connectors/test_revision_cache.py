from core.revision_cache import RevisionCache


def test_a_value_is_made_once_per_key_and_a_new_revision_is_made_afresh():
    cache = RevisionCache()
    made = []

    def make(value):
        made.append(value)
        return value

    assert cache.get((1, "rev-1"), lambda: make("a")) == "a"
    assert cache.get((1, "rev-1"), lambda: make("b")) == "a"
    assert cache.get((1, "rev-2"), lambda: make("c")) == "c"
    assert made == ["a", "c"]


def test_none_is_kept_like_any_value():
    cache = RevisionCache()
    calls = []

    assert cache.get("gone", lambda: calls.append(1)) is None
    assert cache.get("gone", lambda: calls.append(1)) is None
    assert calls == [1]


def test_a_full_cache_starts_again_empty():
    cache = RevisionCache(limit=2)
    cache.get("a", lambda: 1)
    cache.get("b", lambda: 2)

    cache.get("c", lambda: 3)

    assert cache.get("a", lambda: "made again") == "made again"
    assert cache.get("c", lambda: "not made") == 3
