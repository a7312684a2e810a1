"""If-None-Match against a strong ETag: a listed, weak-prefixed or ``*`` tag matches."""

from shared.http_cache import etag_of, matches


def test_the_same_bytes_give_the_same_strong_tag_and_other_bytes_another():
    assert etag_of(b'{"a":1}') == etag_of(b'{"a":1}')
    assert etag_of(b'{"a":1}') != etag_of(b'{"a":2}')
    assert etag_of(b"x").startswith('"')
    assert not etag_of(b"x").startswith("W/")


def test_if_none_match_matches_a_listed_tag_a_weak_form_of_it_or_a_star():
    tag = etag_of(b"body")
    assert matches(tag, tag)
    assert matches(f'"other", {tag}', tag)
    assert matches(f"W/{tag}", tag)
    assert matches("*", tag)
    assert not matches('"other"', tag)
    assert not matches(None, tag)
