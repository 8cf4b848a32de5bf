"""The tamper-evident record: every write is chained and signed; editing, deleting or reordering any
row directly in the database is found by ``audit verify`` (CLI and endpoint), which names the first
bad entry; an export verifies offline with the public key alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from typer.testing import CliRunner

from safepassage.cli import app as cli
from safepassage.service.audit import AuditChainError, entry_hash, load_public_key, payload_hash, verify_export
from safepassage.service.settings import Settings
from tests.service.conftest import World, notification_body

runner = CliRunner()


def _cli_env(settings: Settings) -> dict[str, str]:
    return {"SAFEPASSAGE_DATABASE_URL": settings.database_url or "", "SAFEPASSAGE_DATA_DIR": str(settings.data_dir)}


def _fill(world: World, count: int = 6) -> list[dict]:
    return [world.api.created("notifier", "/notifications", notification_body([world.party_a], message=f"n{i}")) for i in range(count)]


def _sql(world: World, statement: str) -> None:
    with world.api.client.app.state.services.db.transaction() as session:  # type: ignore[attr-defined]
        session.execute(text(statement))


def _verify(world: World) -> dict:
    response = world.api.get("admin", "/audit/verify")
    assert response.status_code == 200
    return response.json()


def test_every_write_is_chained(world: World) -> None:
    sent = _fill(world, 2)
    entries = world.api.get("admin", "/audit/export").json()["entries"]
    actions = [e["action"] for e in entries]
    assert actions.count("notification.create") == 2 and actions[0] == "user.create" and "token.issue" in actions
    last = entries[-1]
    assert last["object_type"] == "notification" and last["object_id"] == str(sent[-1]["id"])
    # A party can hash the notification it received and find it in the record.
    assert last["payload_hash"] == payload_hash(sent[-1])
    assert all(e["prev_hash"] == p["entry_hash"] for p, e in zip(entries, entries[1:], strict=False))
    assert all(entry_hash(e) == e["entry_hash"] for e in entries)
    assert _verify(world)["ok"] is True


TAMPERING = {
    "edit the action": ("UPDATE audit_entry SET action = 'notification.delete' WHERE seq = {k}", "modified"),
    "edit the actor": ("UPDATE audit_entry SET actor = 'someone-else' WHERE seq = {k}", "modified"),
    "edit the payload hash": ("UPDATE audit_entry SET payload_hash = '" + "a" * 64 + "' WHERE seq = {k}", "modified"),
    "delete an entry": ("DELETE FROM audit_entry WHERE seq = {k}", "deleted"),
    "reorder two entries": ("UPDATE audit_entry SET seq = CASE seq WHEN {k} THEN {k1} ELSE {k} END WHERE seq IN ({k}, {k1})", "moved"),
}


@pytest.mark.parametrize("how", sorted(TAMPERING))
def test_tampering_is_detected(world: World, settings: Settings, how: str) -> None:
    _fill(world)
    head = _verify(world)["head_seq"]
    k = head - 3
    statement, word = TAMPERING[how]
    if "CASE" in statement:  # swap through a free number so the primary key never collides
        _sql(world, f"UPDATE audit_entry SET seq = -1 WHERE seq = {k}")
        _sql(world, f"UPDATE audit_entry SET seq = {k} WHERE seq = {k + 1}")
        _sql(world, f"UPDATE audit_entry SET seq = {k + 1} WHERE seq = -1")
    else:
        _sql(world, statement.format(k=k, k1=k + 1))
    report = _verify(world)
    assert report["ok"] is False and report["first_bad_seq"] == k and word in report["problem"]
    result = runner.invoke(cli, ["audit", "verify"], env=_cli_env(settings))
    assert result.exit_code == 5
    assert f"does not verify at entry {k}" in result.output


def test_deleting_the_newest_entries_is_detected(world: World) -> None:
    _fill(world, 3)
    head = _verify(world)["head_seq"]
    _sql(world, f"DELETE FROM audit_entry WHERE seq >= {head - 1}")
    report = _verify(world)
    assert report["ok"] is False and report["first_bad_seq"] == head - 1 and "deleted" in report["problem"]


def test_rewriting_the_chain_without_the_key_is_detected(world: World) -> None:
    """Recomputing every hash after an edit keeps the chain consistent, but not the signatures."""
    _fill(world, 3)
    entries = world.api.get("admin", "/audit/export").json()["entries"]
    k = len(entries) - 2
    previous = entries[k - 2]["entry_hash"]
    statements = []
    for entry in entries[k - 1:]:
        entry = {**entry, "prev_hash": previous}
        if entry["seq"] == k:
            entry["actor"] = "forger"
        entry["entry_hash"] = entry_hash(entry)
        previous = entry["entry_hash"]
        statements.append(f"UPDATE audit_entry SET actor = '{entry['actor']}', prev_hash = '{entry['prev_hash']}', entry_hash = '{entry['entry_hash']}' WHERE seq = {entry['seq']}")
    statements.append(f"UPDATE audit_head SET entry_hash = '{previous}'")
    for statement in statements:
        _sql(world, statement)
    report = _verify(world)
    assert report["ok"] is False and report["first_bad_seq"] == k and "signature" in report["problem"]


def test_export_verifies_offline_with_the_public_key(world: World, settings: Settings, tmp_path: Path) -> None:
    _fill(world, 2)
    out, key = tmp_path / "audit.json", tmp_path / "public.pem"
    exported = runner.invoke(cli, ["audit", "export", "--out", str(out), "--public-key-out", str(key)], env=_cli_env(settings))
    assert exported.exit_code == 0, exported.output
    assert key.read_text() == world.api.get(None, "/audit/public-key").text
    checked = runner.invoke(cli, ["audit", "verify", "--export", str(out), "--public-key", str(key)])
    assert checked.exit_code == 0 and "audit chain verifies" in checked.output

    document = json.loads(out.read_text())
    assert verify_export(document, load_public_key(key.read_text())).ok
    # Someone else's key does not vouch for it.
    stranger = Ed25519PrivateKey.generate().public_key()
    assert verify_export(document, stranger).ok is False
    document["entries"][2]["object_id"] = "999"
    out.write_text(json.dumps(document))
    tampered = runner.invoke(cli, ["audit", "verify", "--export", str(out), "--public-key", str(key)])
    assert tampered.exit_code == 5 and "entry 3" in tampered.output
    no_key = runner.invoke(cli, ["audit", "verify", "--export", str(out)])
    assert no_key.exit_code == 2 and "--public-key" in no_key.output
    with pytest.raises(AuditChainError, match="not a Safe Passage audit export"):
        verify_export({"format": "other"}, stranger)


def test_cli_verify_reports_a_sound_chain(world: World, settings: Settings) -> None:
    _fill(world, 1)
    result = runner.invoke(cli, ["audit", "verify", "--json"], env=_cli_env(settings))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["ok"] is True
