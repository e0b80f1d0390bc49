"""A contract's category must be a 目 of the city's tree, and fit its resource attribute."""

from __future__ import annotations

from contract_helpers import catalog, validate_variant


def errors(problems) -> list[str]:
    return [f"{p.field}: {p.message}" for p in problems if p.is_error]


def test_the_template_category_is_in_the_tree():
    assert not errors(validate_variant(lambda d: None))


def test_an_unknown_category_is_refused_listing_the_tree():
    found = errors(validate_variant(lambda d: catalog(d)["category"].update(item="55", catalog="123")))
    assert any("1/55/123 is not in the city's catalog tree" in e and "1/02/001 企业登记" in e for e in found), found


def test_a_class_that_does_not_fit_the_attribute_is_refused():
    found = errors(validate_variant(lambda d: catalog(d).update(resource_attribute="thematic")))
    assert any("类 1 (基础信息资源) is for resource_attribute base, not thematic" in e for e in found), found


def test_chinese_attribute_labels_are_understood():
    assert not errors(validate_variant(lambda d: catalog(d).update(resource_attribute="基础")))
