from catalog_helpers import make_contract

from catalog.policy import Visibility, decide


def test_core_is_withheld_whatever_else_the_contract_says():
    contract = make_contract(security_level="core", open_type="unconditional", share_type="conditional")
    decision = decide(contract, "published")
    assert decision.visibility is Visibility.WITHHELD, "core data must never be sent to CKAN, not even as private"
    assert not decision.in_catalog and not decision.downloads


def test_important_is_private_metadata_even_if_declared_open():
    # Inconsistent declaration: 就高从严 — the grade wins over open_type.
    decision = decide(make_contract(security_level="important", open_type="unconditional"))
    assert decision.visibility is Visibility.PRIVATE
    assert decision.open_columns == (), "important data must offer no downloadable columns"


def test_general_not_open_is_private_metadata():
    decision = decide(make_contract(security_level="general", open_type="none"))
    assert decision.visibility is Visibility.PRIVATE and not decision.downloads


def test_general_open_drops_personal_columns_from_downloads():
    contract = make_contract(security_level="general", open_type="conditional", open_condition="注册后申请")
    decision = decide(contract)
    assert decision.visibility is Visibility.OPEN and decision.downloads
    assert "legal_rep_id" in decision.removed_columns, "the sensitive ID-number column must be removed"
    assert "legal_rep_id" not in decision.open_columns
    assert "uscc" in decision.open_columns and "enterprise_name" in decision.open_columns


def test_unapproved_states_are_not_in_catalog():
    contract = make_contract(security_level="general", open_type="unconditional")
    for state in ("draft", "submitted", "rejected", "withdrawn"):
        assert decide(contract, state).visibility is Visibility.WITHHELD, f"state {state} must not be published"
    assert decide(contract, "published").visibility is Visibility.OPEN
