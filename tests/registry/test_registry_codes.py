"""Resource codes (赋码): format, determinism, stability across changes, no reuse."""

from __future__ import annotations

import pytest
from registry_fixtures import BACKENDS
from sqlalchemy import select

from yibenzhang.registry import lifecycle as lc
from yibenzhang.registry.codes import CodeError, allocate_code, ckan_name, format_code, parse_code
from yibenzhang.registry.models import CodeSequence


def _register(session, contract_yaml, dataset_id, **changes) -> str:
    lc.submit(session, contract_yaml(id=dataset_id, **changes), "dept")
    return lc.approve(session, dataset_id, "reviewer").resource_code


def test_code_format_and_ckan_name():
    code = format_code("101002", "102021", 1)
    assert code == "101002/1020210001"
    assert parse_code(code) == ("101002", "102021", 1)
    assert ckan_name(code) == "ybz-101002-1020210001"
    # A category with a 细目 is longer; still CKAN-safe.
    assert ckan_name(format_code("10100201", "102021", 12)) == "ybz-10100201-1020210012"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("1010", "102021", 1), "category path '1010'"),
        (("101002", "10202", 1), "provider code '10202' must be 6 digits"),
        (("101002", "102021", 0), "sequence 0 outside 1..9999"),
        (("101002", "102021", 10000), "sequence 10000 outside"),
    ],
)
def test_malformed_code_parts_are_refused(args, expected):
    with pytest.raises(CodeError, match=expected):
        format_code(*args)


def test_ckan_name_refuses_non_codes():
    with pytest.raises(CodeError, match="not a resource code"):
        ckan_name("enterprise_registry")


def test_codes_are_deterministic_for_the_same_registration_order(tmp_path, contract_yaml):
    from sqlalchemy.orm import Session

    from yibenzhang.registry.db import make_engine, upgrade

    def register_all(name: str) -> list[str]:
        engine = make_engine(f"sqlite:///{tmp_path / name}")
        upgrade(engine)
        with Session(engine) as session:
            codes = [
                _register(session, contract_yaml, "a_data"),
                _register(session, contract_yaml, "b_data", provider_code="102099"),
                _register(session, contract_yaml, "c_data"),
                _register(session, contract_yaml, "d_data", category={"item": "01"}),
            ]
        engine.dispose()
        return codes

    first = register_all("one.db")
    assert first == ["102001/1020210001", "102001/1020990001", "102001/1020210002", "101001/1020210001"], (
        "sequences are counted per (category path, provider code)"
    )
    assert register_all("two.db") == first, "the same registrations in a fresh registry give the same codes"


def test_code_is_kept_across_changes(session, contract_yaml):
    code = _register(session, contract_yaml, "enterprise_registry")
    lc.submit(session, contract_yaml(version="1.1.0", category={"catalog": "002"}), "dept")
    resource = lc.approve(session, "enterprise_registry", "reviewer")
    assert resource.resource_code == code, "recategorising in a change does not recode the resource"


def test_codes_are_never_reused_after_withdrawal(session, contract_yaml):
    first = _register(session, contract_yaml, "old_data")
    lc.withdraw(session, "old_data", "bureau", "停用")
    second = _register(session, contract_yaml, "new_data")
    assert (first, second) == ("102001/1020210001", "102001/1020210002")
    sequence = session.execute(select(CodeSequence)).scalar_one()
    assert sequence.last_seq == 2


def test_rejected_initial_consumes_no_number(session, contract_yaml):
    lc.submit(session, contract_yaml(id="rejected_data"), "dept")
    lc.reject(session, "rejected_data", "reviewer", "不予登记")
    assert _register(session, contract_yaml, "accepted_data") == "102001/1020210001"


def test_sequence_exhaustion_is_reported(session):
    session.add(CodeSequence(category_path="101002", provider_code="102021", last_seq=9999))
    session.flush()
    with pytest.raises(CodeError, match="no sequence number left for category 101002 and provider 102021"):
        allocate_code(session, "101002", "102021")


@pytest.mark.parametrize("existing", [None, 5], ids=["first-code", "existing-sequence"])
@pytest.mark.parametrize("db_url", [BACKENDS[1]], indirect=True)
def test_concurrent_allocations_get_distinct_numbers_on_postgres(db_url, existing):
    """Two transactions allocating the first code of a pair at once: the second waits for the
    first (row lock / unique insert) and then takes the next number."""
    import threading

    from sqlalchemy.orm import Session

    from yibenzhang.registry.db import make_engine

    engine = make_engine(db_url)
    results: dict[str, str] = {}
    try:
        if existing is not None:
            with Session(engine) as setup:
                setup.add(CodeSequence(category_path="101002", provider_code="102021", last_seq=existing))
                setup.commit()
        with Session(engine) as first:
            results["first"] = allocate_code(first, "101002", "102021")

            def second() -> None:
                with Session(engine) as other:
                    results["second"] = allocate_code(other, "101002", "102021")
                    other.commit()

            thread = threading.Thread(target=second)
            thread.start()
            _wait_until_blocked(engine, thread)
            first.commit()  # releases the lock the second transaction waits on
            thread.join()
    finally:
        engine.dispose()
    start = existing or 0
    expected = [format_code("101002", "102021", start + 1), format_code("101002", "102021", start + 2)]
    assert sorted(results.values()) == expected, results


def _wait_until_blocked(engine, thread) -> None:
    """Synchronisation, not a timing assertion: commit the first transaction only once the
    second one is waiting on a lock, so the test really exercises the contention."""
    import time

    from sqlalchemy import text

    with engine.connect() as probe:
        for _ in range(600):
            waiting = probe.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
            if waiting or not thread.is_alive():
                return
            time.sleep(0.05)
