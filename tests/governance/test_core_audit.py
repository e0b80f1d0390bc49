"""The audit chain: the published hash formula, and tampering caught by the chain or the anchor."""

from __future__ import annotations

import hashlib
import json
import stat
import threading
from datetime import UTC, datetime

import pytest
from core_fixtures import BACKENDS
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from yibenzhang.governance import audit
from yibenzhang.registry.db import make_engine

pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def anchor(tmp_path):
    return tmp_path / "home" / "audit" / "anchor.log"


def fill(engine, anchor, n: int = 8) -> None:
    for i in range(1, n + 1):
        with Session(engine) as s:
            audit.append(s, actor=f"user{i}", role="steward", action="request.approve", subject=f"request:{i}",
                         payload={"from": "consented", "to": "approved", "reason": f"第{i}次", "n": i},
                         anchor_path=anchor)
            s.commit()


def check(engine, anchor):
    with Session(engine) as s:
        return audit.verify(s, anchor)


def tamper(engine, *statements: str) -> None:
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def test_each_hash_is_the_published_formula_over_the_previous_one(engine, anchor):
    fill(engine, anchor, 3)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT seq, actor, role, action, subject, payload_digest, prev_hash, hash "
                                 "FROM audit_log ORDER BY seq")).all()
    with Session(engine) as s:
        ats = [e.at for e in sorted(audit.entries(s), key=lambda e: e.seq)]
        payloads = [e.payload for e in sorted(audit.entries(s), key=lambda e: e.seq)]
    previous = "0" * 64
    for row, at, payload in zip(rows, ats, payloads):
        seq, actor, role, action, subject, digest, prev_hash, hashed = row
        canonical_payload = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert digest == hashlib.sha256(canonical_payload.encode("utf-8")).hexdigest(), f"payload digest of #{seq}"
        assert prev_hash == previous, f"#{seq} must link to the previous entry's hash"
        fields = [seq, at.astimezone(UTC).isoformat(timespec="microseconds"), actor, role, action, subject,
                  digest, prev_hash]
        expected = hashlib.sha256(json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()
        assert hashed == expected, f"hash of #{seq} is not SHA-256 of the canonical field list"
        previous = hashed
    assert payloads[0]["reason"] == "第1次", "Chinese text is stored as written (ensure_ascii=False)"


def test_an_untouched_log_verifies_and_every_append_is_anchored(engine, anchor):
    fill(engine, anchor, 5)
    report = check(engine, anchor)
    assert report.ok and report.first_bad is None, report
    assert (report.entries, report.anchored) == (5, 5)
    lines = anchor.read_text().splitlines()
    with engine.connect() as conn:
        table = [f"{seq} {h}" for seq, h in conn.execute(text("SELECT seq, hash FROM audit_log ORDER BY seq"))]
    assert lines == table, "one `seq hash` line per append, as in the table"
    assert stat.S_IMODE(anchor.parent.stat().st_mode) == 0o700, "the anchor folder is private"
    assert report.as_json() == {"ok": True, "entries": 5, "first_bad": None, "anchored": 5}


@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET actor = 'mallory' WHERE seq = 4",
    "UPDATE audit_log SET action = 'request.reject' WHERE seq = 4",
    "UPDATE audit_log SET at = at - INTERVAL '1 hour' WHERE seq = 4",
])
def test_an_edited_field_names_its_entry(engine, anchor, statement, backend):
    fill(engine, anchor)
    if backend == "sqlite" and "INTERVAL" in statement:
        statement = "UPDATE audit_log SET at = datetime(at, '-1 hour') WHERE seq = 4"
    tamper(engine, statement)
    report = check(engine, anchor)
    assert not report.ok
    assert report.first_bad is not None and report.first_bad[0] == 4, report
    assert "#4" in report.first_bad[1] and "改动" in report.first_bad[1], report.first_bad


def test_an_edited_payload_names_its_entry(engine, anchor, backend):
    fill(engine, anchor)
    new = '{"from":"consented","n":6,"reason":"第6次","to":"rejected"}'
    cast = " AS TEXT" if backend == "sqlite" else " AS JSON"
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE audit_log SET payload = CAST(:p{cast}) WHERE seq = 6"), {"p": new})
    report = check(engine, anchor)
    assert report.first_bad is not None and report.first_bad[0] == 6, report
    assert "内容" in report.first_bad[1], report.first_bad


def test_an_edit_with_its_own_hash_recomputed_is_caught_at_the_next_link_or_the_anchor(engine, anchor):
    fill(engine, anchor)
    with Session(engine) as s:
        row = next(e for e in audit.entries(s) if e.seq == 3)
        forged = audit.entry_hash(3, row.at, "mallory", row.role, row.action, row.subject, row.payload_digest,
                                  row.prev_hash)
    tamper(engine, f"UPDATE audit_log SET actor = 'mallory', hash = '{forged}' WHERE seq = 3")
    assert check(engine, anchor).first_bad[0] == 3, "the anchor line of #3 no longer matches"
    chain_only = check(engine, anchor.with_name("none.log"))
    assert chain_only.first_bad is not None and chain_only.first_bad[0] == 4, \
        f"without the anchor the next entry's link breaks: {chain_only}"


def test_a_deleted_entry_is_named(engine, anchor):
    fill(engine, anchor)
    tamper(engine, "DELETE FROM audit_log WHERE seq = 5")
    report = check(engine, anchor)
    assert report.first_bad is not None and report.first_bad[0] == 5, report
    assert "缺失" in report.first_bad[1], report.first_bad
    assert report.entries == 7


def test_a_deleted_entry_with_the_rest_renumbered_is_named(engine, anchor):
    fill(engine, anchor)
    tamper(engine, "DELETE FROM audit_log WHERE seq = 5",
           *(f"UPDATE audit_log SET seq = {s - 1} WHERE seq = {s}" for s in range(6, 9)),
           "UPDATE audit_head SET seq = 7")
    report = check(engine, anchor)
    assert report.first_bad is not None and report.first_bad[0] == 5, report


def test_two_swapped_entries_are_caught_at_the_first(engine, anchor):
    fill(engine, anchor)
    tamper(engine, "UPDATE audit_log SET seq = -1 WHERE seq = 5", "UPDATE audit_log SET seq = 5 WHERE seq = 6",
           "UPDATE audit_log SET seq = 6 WHERE seq = -1")
    report = check(engine, anchor)
    assert report.first_bad is not None and report.first_bad[0] == 5, report


def _rewrite_consistently(engine, from_seq: int) -> None:
    """What an attacker with the database (not the anchor file) can do: change an entry and
    recompute every hash after it, and the head."""
    with Session(engine) as s:
        rows = sorted(audit.entries(s, limit=10_000), key=lambda e: e.seq)
        previous = "0" * 64
        for e in rows:
            actor = "mallory" if e.seq == from_seq else e.actor
            hashed = audit.entry_hash(e.seq, e.at, actor, e.role, e.action, e.subject, e.payload_digest, previous)
            s.execute(text("UPDATE audit_log SET actor = :a, prev_hash = :p, hash = :h WHERE seq = :s"),
                      {"a": actor, "p": previous, "h": hashed, "s": e.seq})
            previous = hashed
        s.execute(text("UPDATE audit_head SET hash = :h"), {"h": previous})
        s.commit()


def test_a_consistently_rewritten_table_is_caught_by_the_anchor(engine, anchor):
    fill(engine, anchor)
    _rewrite_consistently(engine, from_seq=2)
    assert check(engine, anchor.with_name("elsewhere.log")).ok, "the chain alone cannot see a full rewrite"
    report = check(engine, anchor)
    assert report.first_bad is not None and report.first_bad[0] == 2, report
    assert "锚定" in report.first_bad[1], report.first_bad


def test_a_truncated_table_is_caught_by_the_anchor(engine, anchor):
    fill(engine, anchor)
    with engine.connect() as conn:
        h6 = conn.execute(text("SELECT hash FROM audit_log WHERE seq = 6")).scalar_one()
    tamper(engine, "DELETE FROM audit_log WHERE seq > 6", f"UPDATE audit_head SET seq = 6, hash = '{h6}'")
    assert check(engine, anchor.with_name("elsewhere.log")).ok, "a consistent truncation passes the chain"
    report = check(engine, anchor)
    assert report.first_bad is not None and report.first_bad[0] == 7, report
    assert "截断" in report.first_bad[1], report.first_bad


def test_a_truncated_table_with_a_stale_head_is_caught_without_the_anchor(engine, anchor):
    fill(engine, anchor)
    tamper(engine, "DELETE FROM audit_log WHERE seq = 8")
    report = check(engine, anchor.with_name("elsewhere.log"))
    assert report.first_bad is not None and "截断" in report.first_bad[1], report


def test_a_rolled_back_append_leaves_no_entry_and_no_anchor_line(engine, anchor):
    fill(engine, anchor, 2)
    with Session(engine) as s:
        audit.append(s, actor="x", role="system", action="request.expire", subject="request:9", payload={},
                     anchor_path=anchor)
        s.rollback()
    fill(engine, anchor, 1)
    report = check(engine, anchor)
    assert report.ok and report.entries == 3 and report.anchored == 3, report


def test_concurrent_appends_get_distinct_seqs_on_one_chain(engine, anchor):
    factory = sessionmaker(bind=engine)
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(10):
                with factory() as s:
                    audit.append(s, actor=f"w{n}", role="system", action="delivery.refresh",
                                 subject=f"request:{n}", payload={"i": i}, anchor_path=anchor,
                                 at=datetime.now(UTC))
                    s.commit()
        except BaseException as error:  # noqa: BLE001 — reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, f"an append failed under concurrency: {errors[0]!r}"
    report = check(engine, anchor)
    assert report.ok and report.entries == 40 and report.anchored == 40, report
