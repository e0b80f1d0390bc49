"""Lifecycle: draft → submitted → approved | rejected → published → withdrawn, on SQLite and
(when available) PostgreSQL."""

from __future__ import annotations

import pytest
from registry_fixtures import BACKENDS
from sqlalchemy import func, select

from yibenzhang.registry import lifecycle as lc
from yibenzhang.registry.models import Registration, Resource, Transition

DATASET = "enterprise_registry"


def _history(resource: Resource) -> list[tuple[str, str | None, str, str]]:
    return [(t.subject, t.from_state, t.to_state, t.actor) for t in resource.transitions]


@pytest.mark.parametrize("db_url", BACKENDS, indirect=True)
def test_full_lifecycle_records_every_transition(session, contract_yaml):
    text = contract_yaml()
    registration = lc.submit(session, text, "scjgj_data")
    assert (registration.kind, registration.state) == ("initial", "submitted")
    resource = session.get(Resource, DATASET)
    assert resource.state == "submitted" and resource.resource_code is None, (
        "no code before approval: a rejected initial submission must not consume a number"
    )
    assert lc.approved_contracts(session) == [], "nothing is in force before approval"

    lc.approve(session, DATASET, "reviewer", "材料齐全")
    assert resource.state == "approved"
    assert resource.resource_code == "102001/1020210001", resource.resource_code
    assert resource.approved_yaml == text and resource.approved_version == "1.0.0"
    assert [(r.id, y) for r, y in lc.approved_contracts(session)] == [(DATASET, text)]

    lc.mark_published(session, DATASET, "catalog")
    assert resource.state == "published"
    lc.mark_published(session, DATASET, "catalog")  # already published: no-op, no new transition

    lc.withdraw(session, DATASET, "bureau", "数据源停止维护")
    session.commit()
    session.expire_all()
    resource = session.get(Resource, DATASET)
    assert resource.state == "withdrawn"
    assert resource.resource_code == "102001/1020210001", "a withdrawn resource keeps its code"
    assert lc.approved_contracts(session) == [], "withdrawn resources are not run any more"
    assert _history(resource) == [
        ("resource", "draft", "submitted", "scjgj_data"),
        ("resource", "submitted", "approved", "reviewer"),
        ("resource", "approved", "published", "catalog"),
        ("resource", "published", "withdrawn", "bureau"),
    ]
    assert resource.transitions[1].reason == "材料齐全"
    assert resource.transitions[-1].reason == "数据源停止维护"
    assert all(t.at is not None and t.at.tzinfo is not None for t in resource.transitions)
    kinds = [(r.kind, r.state) for r in resource.registrations]
    assert kinds == [("initial", "approved"), ("cancellation", "approved")], kinds
    assert resource.registrations[0].decided_by == "reviewer"


@pytest.mark.parametrize("db_url", BACKENDS, indirect=True)
def test_change_needs_reapproval_and_old_snapshot_stays_in_force(session, contract_yaml):
    v1 = contract_yaml()
    lc.submit(session, v1, "dept")
    lc.approve(session, DATASET, "reviewer")
    lc.mark_published(session, DATASET, "catalog")

    v2 = contract_yaml(version="1.1.0", purpose="变更后的用途说明")
    change = lc.submit(session, v2, "dept")
    resource = session.get(Resource, DATASET)
    assert (change.kind, change.state) == ("change", "submitted")
    assert resource.state == "published", "a pending change must not unpublish the resource"
    assert resource.approved_yaml == v1 and resource.approved_version == "1.0.0"
    assert lc.approved_contracts(session) == [(resource, v1)], "pipelines keep running v1"
    assert _history(resource)[-1] == ("registration", None, "submitted", "dept")

    lc.reject(session, DATASET, "reviewer", "用途说明不完整")
    assert change.state == "rejected" and change.reason == "用途说明不完整"
    assert resource.state == "published" and resource.approved_yaml == v1
    assert _history(resource)[-1] == ("registration", "submitted", "rejected", "reviewer")

    v2b = contract_yaml(version="1.1.0", purpose="变更后的用途说明（补充）")
    correction = lc.submit(session, v2b, "dept")
    assert correction.kind == "correction" and correction.corrects_id == change.id
    lc.approve(session, DATASET, "reviewer")
    assert resource.approved_yaml == v2b and resource.approved_version == "1.1.0"
    assert resource.state == "approved", "the new snapshot must be republished to the catalog"
    assert resource.resource_code == "102001/1020210001", "a resource keeps its code across changes"


@pytest.mark.parametrize("db_url", BACKENDS, indirect=True)
def test_identical_resubmission_is_a_no_op(session, contract_yaml):
    text = contract_yaml()
    first = lc.submit(session, text, "dept")
    again = lc.submit(session, text, "someone_else")
    assert again.id == first.id and again.submitted_by == "dept"
    # Comments and layout are not content.
    assert lc.submit(session, "# 注释\n" + text, "dept").id == first.id
    lc.approve(session, DATASET, "reviewer")
    after = lc.submit(session, text, "dept")
    assert after.id == first.id and after.state == "approved"
    session.flush()
    count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
    assert count(Registration) == 1, "identical content must not create registrations"
    assert count(Transition) == 2, "identical content must not create transitions"


def test_rejected_initial_then_correction(session, contract_yaml):
    text = contract_yaml()
    first = lc.submit(session, text, "dept")
    lc.reject(session, DATASET, "reviewer", "分类代码错误")
    resource = session.get(Resource, DATASET)
    assert resource.state == "rejected" and resource.resource_code is None
    with pytest.raises(lc.LifecycleError, match="identical to registration #1 rejected because '分类代码错误'"):
        lc.submit(session, text, "dept")
    fixed = lc.submit(session, contract_yaml(category={"catalog": "002"}), "dept")
    assert fixed.kind == "correction" and fixed.corrects_id == first.id
    assert resource.state == "submitted"
    lc.approve(session, DATASET, "reviewer")
    assert resource.resource_code == "102002/1020210001", "the code follows the approved category"
    assert [t.to_state for t in resource.transitions] == ["submitted", "rejected", "submitted", "approved"]


def test_change_without_version_bump_is_refused(session, contract_yaml):
    lc.submit(session, contract_yaml(), "dept")
    lc.approve(session, DATASET, "reviewer")
    with pytest.raises(lc.LifecycleError, match=r"version 1\.0\.0 is unchanged; bump `version`"):
        lc.submit(session, contract_yaml(purpose="改了内容没改版本"), "dept")


def test_different_content_while_pending_is_refused(session, contract_yaml):
    lc.submit(session, contract_yaml(), "dept")
    with pytest.raises(lc.LifecycleError) as info:
        lc.submit(session, contract_yaml(version="1.0.1", purpose="再改一次"), "dept")
    message = str(info.value)
    assert "initial registration #1 awaiting decision" in message, message
    assert "allowed actions: approve, reject" in message, message


@pytest.mark.parametrize(
    ("prepare", "action", "expected"),
    [
        ([], lambda s: lc.approve(s, DATASET, "r"), "no registered resource 'enterprise_registry'"),
        (["submit"], lambda s: lc.mark_published(s, DATASET, "c"),
         "cannot publish 'enterprise_registry' in state 'submitted'"),
        (["submit"], lambda s: lc.withdraw(s, DATASET, "b", "why"),
         "cannot withdraw 'enterprise_registry' in state 'submitted'"),
        (["submit", "approve"], lambda s: lc.approve(s, DATASET, "r"),
         "cannot approve 'enterprise_registry' in state 'approved': nothing is awaiting approval; "
         "allowed actions: submit, mark_published, withdraw"),
        (["submit", "approve", "withdraw"], lambda s: lc.approve(s, DATASET, "r"),
         "allowed actions: none (withdrawn is final)"),
        (["submit"], lambda s: lc.reject(s, DATASET, "r", "  "), "a reason for the rejection is required"),
        (["submit", "approve"], lambda s: lc.withdraw(s, DATASET, "b", ""), "a reason for the withdrawal is required"),
        (["submit"], lambda s: lc.approve(s, DATASET, ""), "actor is required"),
    ],
    ids=["unknown", "publish-unapproved", "withdraw-unapproved", "approve-twice",
         "after-withdrawal", "reject-no-reason", "withdraw-no-reason", "no-actor"],
)
def test_illegal_transitions_name_state_and_allowed_actions(session, contract_yaml, prepare, action, expected):
    steps = {
        "submit": lambda: lc.submit(session, contract_yaml(), "dept"),
        "approve": lambda: lc.approve(session, DATASET, "reviewer"),
        "withdraw": lambda: lc.withdraw(session, DATASET, "bureau", "停用"),
    }
    for step in prepare:
        steps[step]()
    before = session.scalar(select(func.count()).select_from(Transition))
    with pytest.raises(lc.LifecycleError) as info:
        action(session)
    assert expected in str(info.value), f"message was: {info.value}"
    assert session.scalar(select(func.count()).select_from(Transition)) == before, "a refusal changes nothing"


def test_withdrawn_dataset_id_cannot_be_registered_again(session, contract_yaml):
    lc.submit(session, contract_yaml(), "dept")
    lc.approve(session, DATASET, "reviewer")
    lc.withdraw(session, DATASET, "bureau", "停用")
    with pytest.raises(lc.LifecycleError, match="withdrawn resources stay retired"):
        lc.submit(session, contract_yaml(version="2.0.0"), "dept")


def test_withdraw_rejects_a_pending_change(session, contract_yaml):
    lc.submit(session, contract_yaml(), "dept")
    lc.approve(session, DATASET, "reviewer")
    change = lc.submit(session, contract_yaml(version="1.1.0", purpose="变更"), "dept")
    lc.withdraw(session, DATASET, "bureau", "合并到新资源")
    assert change.state == "rejected" and "合并到新资源" in change.reason
    assert lc.allowed_actions(session.get(Resource, DATASET)) == []


@pytest.mark.parametrize(
    ("mangle", "expected"),
    [
        (lambda t: t.replace("id: enterprise_registry", "id: [unclosed"), r"<text>:\d+: YAML syntax error"),
        (lambda t: "just a string", r"<text>:1: the contract is a str, not a mapping"),
        (lambda t: t.replace('provider_code: "102021"', 'provider_code: "1020"'),
         r"<text>:\d+ customProperties\[catalog\]\.value\.provider_code: "),
        (lambda t: t.replace("property: catalog", "property: katalog"), r"customProperties: the `catalog` block .* is missing"),
        (lambda t: t.replace("security_level: important", "security_level: secret"),
         r"security_level: 'secret' is not an allowed value"),
        # Consistency rules of the contract validator apply at registration too.
        (lambda t: t.replace("security_level: important", "security_level: core").replace(
            "open_type: none", "open_type: unconditional"), "core data .* is never opened"),
    ],
    ids=["bad-yaml", "not-mapping", "bad-provider-code", "no-catalog", "bad-security-level", "core-opened"],
)
def test_unparseable_contract_is_refused_with_the_reason(session, template_text, mangle, expected):
    with pytest.raises(lc.ContractError, match=expected):
        lc.submit(session, mangle(template_text), "dept")
    assert session.scalar(select(func.count()).select_from(Resource)) == 0, "nothing registered"


def test_submit_from_path_and_template_refusal(session, tmp_path, template_text):
    path = tmp_path / "enterprise_registry.yaml"
    path.write_text(template_text, encoding="utf-8")
    assert lc.submit(session, path, "dept").resource_id == DATASET
    assert lc.submit(session, str(path), "dept").id == 1, "a str path works too"
    template = tmp_path / "_template.yaml"
    template.write_text(template_text, encoding="utf-8")
    with pytest.raises(lc.ContractError, match="templates and are never registered"):
        lc.submit(session, template, "dept")
    with pytest.raises(lc.ContractError, match="no such contract file"):
        lc.submit(session, tmp_path / "missing.yaml", "dept")
    misnamed = tmp_path / "qiye.yaml"
    misnamed.write_text(template_text, encoding="utf-8")
    with pytest.raises(lc.ContractError, match=r"qiye\.yaml:\d+ id: .* does not match the file name"):
        lc.submit(session, misnamed, "dept")
