"""The tamper-evident record: every write is chained and signed; editing, deleting or reordering any
row directly in the database is found by ``audit verify`` (CLI and endpoint), which names the first
bad entry; an export verifies offline with the public key alone."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from typer.testing import CliRunner

from safepassage.cli import app as cli
from safepassage.service.audit import (
    CHECKPOINT_HEADER,
    ENTRY_FIELDS,
    GENESIS_HASH,
    AuditChainError,
    entry_hash,
    entry_leaf,
    export_signature_input,
    load_or_create_signing_key,
    load_public_key,
    payload_hash,
    verify_export,
)
from safepassage.service.settings import Settings
from safepassage.service.transparency import (
    frontier_append,
    frontier_root,
    merkle_root,
    parse_checkpoint,
    sign_checkpoint,
    verify_consistency,
    verify_inclusion,
)
from tests.service.conftest import World, notification_body

runner = CliRunner()


def _cli_env(settings: Settings) -> dict[str, str]:
    return {"SAFEPASSAGE_DATABASE_URL": settings.database_url or "", "SAFEPASSAGE_DATA_DIR": str(settings.data_dir),
            "SAFEPASSAGE_SIGNING_KEY": str(settings.resolved_signing_key_path)}


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
    assert f"does not verify at entry {k}" in result.output.replace("\n", " ")


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
    assert checked.exit_code == 0 and "audit log verifies" in checked.output

    document = json.loads(out.read_text())
    assert verify_export(document, load_public_key(key.read_text())).ok
    # Someone else's key does not vouch for it.
    stranger = Ed25519PrivateKey.generate().public_key()
    assert verify_export(document, stranger).ok is False
    document["entries"][2]["object_id"] = "999"
    out.write_text(json.dumps(document))
    tampered = runner.invoke(cli, ["audit", "verify", "--export", str(out), "--public-key", str(key)])
    assert tampered.exit_code == 5 and "export signature does not verify" in tampered.output
    no_key = runner.invoke(cli, ["audit", "verify", "--export", str(out)])
    assert no_key.exit_code == 2 and "--public-key" in no_key.output
    with pytest.raises(AuditChainError, match="not a Safe Passage audit export"):
        verify_export({"format": "other"}, stranger)


def test_cli_verify_reports_a_sound_chain(world: World, settings: Settings) -> None:
    _fill(world, 1)
    result = runner.invoke(cli, ["audit", "verify", "--json"], env=_cli_env(settings))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["ok"] is True


# --- the transparency log: history rewrites, data rows, exports, held checkpoints ----------------------
# Each case: what someone with database access (and, where said, the stolen signing key) does, and how
# it is detected. The closing report of issue 12 tabulates these.

def _held_checkpoint(world: World, tmp_path: Path, who: str = "liaison-a") -> Path:
    """What a party keeps: the checkpoint header of an answer it received, as a file."""
    response = world.api.get(who, "/notifications")
    assert response.status_code == 200
    note = base64.b64decode(response.headers[CHECKPOINT_HEADER]).decode("utf-8")
    checkpoint = parse_checkpoint(note, load_public_key(world.api.get(None, "/audit/public-key").text))
    assert checkpoint.size == _verify(world)["head_seq"]
    path = tmp_path / f"held-{checkpoint.size}.txt"
    path.write_text(response.headers[CHECKPOINT_HEADER])  # the base64 header value, as received
    return path


def _stolen_key(settings: Settings) -> Ed25519PrivateKey:
    return load_or_create_signing_key(settings.resolved_signing_key_path)


def _forge(world: World, settings: Settings, keep: int, edit: Callable[[dict[str, Any]], None] | None = None) -> None:
    """Rewrite the log with the stolen key: keep the first ``keep`` entries (``edit`` may change them),
    recompute every hash and signature, the Merkle edge and a fresh signed checkpoint. Internally consistent."""
    key = _stolen_key(settings)
    entries = world.api.get("admin", "/audit/export").json()["entries"][:keep]
    previous, frontier, statements = GENESIS_HASH, [], ["DELETE FROM audit_entry"]
    for index, entry in enumerate(entries):
        if edit is not None:
            edit(entry)
        entry["prev_hash"] = previous
        entry["entry_hash"] = entry_hash(entry)
        entry["signature"] = base64.b64encode(key.sign(entry["entry_hash"].encode("ascii"))).decode("ascii")
        frontier = frontier_append(frontier, index, entry_leaf(entry))
        previous = entry["entry_hash"]
        values = ", ".join("'" + str(entry[name]).replace("'", "''") + "'" if name != "seq" else str(entry[name]) for name in ENTRY_FIELDS)
        statements.append(f"INSERT INTO audit_entry ({', '.join(ENTRY_FIELDS)}) VALUES ({values})")
    note = sign_checkpoint(f"{settings.deployment_name}/audit", len(entries), frontier_root(frontier), key)
    frontier_json = json.dumps([h.hex() for h in frontier])
    statements.append(f"UPDATE audit_head SET seq = {len(entries)}, entry_hash = '{previous}', tree_frontier = '{frontier_json}', "
                      f"checkpoint = '{note.replace(chr(39), chr(39) * 2)}'")
    with world.api.client.app.state.services.db.transaction() as session:  # type: ignore[attr-defined]
        for statement in statements:
            session.execute(text(statement))


def _cli_verify(settings: Settings, *args: str) -> Any:
    return runner.invoke(cli, ["audit", "verify", *args], env=_cli_env(settings))


def _answered(world: World) -> tuple[dict, dict]:
    """A notification to both parties, acknowledged by A and queried by B."""
    sent = world.api.created("notifier", "/notifications", notification_body([world.party_a, world.party_b], message="convoy C-7 at 06:00"))
    world.api.created("liaison-a", f"/notifications/{sent['id']}/acknowledgments", {"decision": "acknowledged"})
    queried = world.api.created("liaison-b", f"/notifications/{sent['id']}/acknowledgments", {"decision": "queried", "message": "which road?"})
    return sent, queried


def test_a_sound_log_verifies_with_its_data(world: World, settings: Settings, tmp_path: Path) -> None:
    _answered(world)
    held = _held_checkpoint(world, tmp_path)
    _fill(world, 2)  # the log grows after the party kept its checkpoint: still consistent
    report = _verify(world)
    assert report["ok"] is True and report["row_problems"] == [] and report["checkpoint"]["size"] == report["head_seq"]
    result = _cli_verify(settings, "--checkpoint", str(held))
    assert result.exit_code == 0, result.output
    assert "extends the checkpoint you hold" in result.output


ROW_TAMPERING = {
    "flip a queried answer to acknowledged": (
        ["UPDATE acknowledgment SET decision = 'acknowledged', message = '' WHERE decision = 'queried'",
         "UPDATE notification_party SET latest_decision = 'acknowledged' WHERE latest_decision = 'queried'"],
        "acknowledgment {ack} differs from its logged payload"),
    "flip only the addressee's latest answer": (
        ["UPDATE notification_party SET latest_decision = 'acknowledged' WHERE latest_decision = 'queried'"],
        "party {b}'s answer is 'acknowledged' but its latest logged acknowledgment says 'queried'"),
    "rewrite a notification's message": (
        ["UPDATE notification SET message = 'convoy C-7 at 09:00' WHERE id = {n}"], "notification {n} differs from its logged payload"),
    "drop an addressee": (
        ["DELETE FROM acknowledgment WHERE party_id = {b}", "DELETE FROM notification_party WHERE party_id = {b}"],
        "notification {n} differs from its logged payload"),
    "delete a notification with its acknowledgments": (
        ["DELETE FROM acknowledgment WHERE notification_id = {n}", "DELETE FROM notification_party WHERE notification_id = {n}",
         "DELETE FROM notification WHERE id = {n}"],
        "notification {n} is in the audit log but not in the database: deleted"),
    "insert a notification outside the service": (
        [("INSERT INTO notification (id, kind, title, message, notice_hours, valid_from, valid_until, ack_due, created_by, created_at) "
          "VALUES (900, 'site', 'forged', '', 1, '2030-01-01 00:00:00', '2030-01-02 00:00:00', '2030-01-01 00:00:00', 1, '2030-01-01 00:00:00')")],
        "notification 900 is in the database but not in the audit log"),
}


@pytest.mark.parametrize("how", sorted(ROW_TAMPERING))
def test_data_row_tampering_is_detected(world: World, settings: Settings, how: str) -> None:
    sent, queried = _answered(world)
    statements, expected = ROW_TAMPERING[how]
    names = {"n": sent["id"], "b": world.party_b, "ack": queried["id"]}
    for statement in statements:
        _sql(world, statement.format(**names))
    report = _verify(world)
    assert report["ok"] is False
    assert any(expected.format(**names) in problem for problem in report["row_problems"]), report["row_problems"]
    result = _cli_verify(settings)
    assert result.exit_code == 5, result.output
    assert expected.format(**names) in result.output.replace("\n", " ")


def test_a_full_wipe_is_detected(world: World, settings: Settings, tmp_path: Path) -> None:
    _answered(world)
    held = _held_checkpoint(world, tmp_path)
    _sql(world, "DELETE FROM audit_entry")
    _sql(world, f"UPDATE audit_head SET seq = 0, entry_hash = '{GENESIS_HASH}', tree_frontier = '[]', checkpoint = ''")
    assert "checkpoint does not verify" in _verify(world)["problem"]
    # Even re-signed with the stolen key (an empty log, a valid checkpoint of size 0)...
    _forge(world, settings, keep=0)
    assert "in the database but not in the audit log" in " ".join(_verify(world)["row_problems"])
    result = _cli_verify(settings, "--checkpoint", str(held))
    assert result.exit_code == 5 and "truncated" in result.output


def test_truncation_with_the_head_moved_back_and_resigned_is_detected(world: World, settings: Settings, tmp_path: Path) -> None:
    """The newest entries and their rows are deleted, the head and checkpoint re-signed with the stolen key:
    the database alone looks sound; the checkpoint a party kept proves the truncation."""
    _fill(world, 2)
    before = _verify(world)["head_seq"]
    sent, _queried = _answered(world)
    held = _held_checkpoint(world, tmp_path)
    for statement in ("DELETE FROM acknowledgment WHERE notification_id = {n}", "DELETE FROM notification_party WHERE notification_id = {n}",
                      "DELETE FROM notification WHERE id = {n}"):
        _sql(world, statement.format(n=sent["id"]))
    _forge(world, settings, keep=before)
    assert _verify(world)["ok"] is True  # consistent on its own: this is why parties keep checkpoints
    result = _cli_verify(settings, "--checkpoint", str(held))
    assert result.exit_code == 5, result.output
    assert f"truncated: you hold a checkpoint of {before + 3} entries, the log now has {before}" in result.output.replace("\n", " ")


def test_an_edit_resigned_with_a_stolen_key_is_detected_by_a_held_checkpoint(world: World, settings: Settings, tmp_path: Path) -> None:
    _fill(world, 3)
    held = _held_checkpoint(world, tmp_path)
    size = _verify(world)["head_seq"]

    def edit(entry: dict[str, Any]) -> None:
        if entry["seq"] == size - 1:
            entry["actor"] = "someone-else"

    _forge(world, settings, keep=size, edit=edit)
    assert _verify(world)["ok"] is True
    result = _cli_verify(settings, "--checkpoint", str(held))
    assert result.exit_code == 5
    assert f"rewritten: the first {size} entries no longer hash to the root of the checkpoint you hold" in result.output.replace("\n", " ")
    # A checkpoint from another key is not evidence of anything: refused, not compared.
    stranger = sign_checkpoint(f"{settings.deployment_name}/audit", 1, b"\0" * 32, Ed25519PrivateKey.generate())
    (tmp_path / "stranger.txt").write_text(stranger)
    refused = _cli_verify(settings, "--checkpoint", str(tmp_path / "stranger.txt"))
    assert refused.exit_code == 5 and "does not verify with the trusted key" in refused.output.replace("\n", " ")


def _export(world: World, settings: Settings, tmp_path: Path) -> tuple[dict[str, Any], Path]:
    out, key = tmp_path / "audit.json", tmp_path / "public.pem"
    assert runner.invoke(cli, ["audit", "export", "--out", str(out), "--public-key-out", str(key)], env=_cli_env(settings)).exit_code == 0
    return json.loads(out.read_text()), key


EXPORT_TAMPERING: dict[str, Callable[[dict[str, Any]], None]] = {
    "cut to a prefix": lambda d: d.update(entries=d["entries"][:-3]),
    "change exported_at": lambda d: d.update(exported_at="2020-01-01T00:00:00.000000Z"),
    "change the deployment": lambda d: d.update(deployment="another-deployment"),
    "swap the checkpoint for an older one": lambda d: d.update(checkpoint=d["checkpoint"].replace("\n", "\n", 1)[:-2] + "A\n"),
}


@pytest.mark.parametrize("how", sorted(EXPORT_TAMPERING))
def test_export_prefixes_and_unsigned_metadata_are_detected(world: World, settings: Settings, tmp_path: Path, how: str) -> None:
    _fill(world, 4)
    document, key = _export(world, settings, tmp_path)
    EXPORT_TAMPERING[how](document)
    report = verify_export(document, load_public_key(key.read_text()))
    assert report.ok is False and "export signature does not verify" in report.problem


def test_an_export_prefix_resigned_with_a_stolen_key_is_detected_by_a_held_checkpoint(world: World, settings: Settings, tmp_path: Path) -> None:
    _fill(world, 4)
    held = _held_checkpoint(world, tmp_path)
    document, key = _export(world, settings, tmp_path)
    stolen = _stolen_key(settings)
    cut = len(document["entries"]) - 2
    document["entries"] = document["entries"][:cut]
    leaves = [entry_leaf(e) for e in document["entries"]]
    document["head"] = {"seq": cut, "entry_hash": document["entries"][-1]["entry_hash"]}
    document["checkpoint"] = sign_checkpoint(document["origin"], cut, merkle_root(leaves), stolen)
    document["signature"] = base64.b64encode(stolen.sign(export_signature_input(document))).decode("ascii")
    public = load_public_key(key.read_text())
    assert verify_export(document, public).ok is True  # a consistent, validly signed prefix...
    (tmp_path / "forged.json").write_text(json.dumps(document))
    result = runner.invoke(cli, ["audit", "verify", "--export", str(tmp_path / "forged.json"), "--public-key", str(key), "--checkpoint", str(held)])
    assert result.exit_code == 5 and "truncated" in result.output  # ...but not an extension of what the party holds


def test_verify_refuses_a_directory_without_a_database(tmp_path: Path) -> None:
    empty = tmp_path / "mistyped"
    env = {"SAFEPASSAGE_DATA_DIR": str(empty), "SAFEPASSAGE_SIGNING_KEY": str(tmp_path / "key.pem"), "SAFEPASSAGE_DATABASE_URL": ""}
    load_or_create_signing_key(tmp_path / "key.pem")
    result = runner.invoke(cli, ["audit", "verify"], env=env)
    assert result.exit_code == 2 and "no database at" in result.output
    assert not empty.exists()  # nothing was created
    export = runner.invoke(cli, ["audit", "export", "--out", str(tmp_path / "x.json")], env=env)
    assert export.exit_code == 2 and not empty.exists()


def test_every_answer_a_party_receives_carries_the_latest_checkpoint(world: World) -> None:
    public = load_public_key(world.api.get(None, "/audit/public-key").text)
    sent = world.api.post("notifier", "/notifications", notification_body([world.party_a]))
    answer = world.api.post("liaison-a", f"/notifications/{sent.json()['id']}/acknowledgments", {"decision": "acknowledged"})
    for response in (sent, answer, world.api.get("liaison-a", f"/notifications/{sent.json()['id']}")):
        checkpoint = parse_checkpoint(base64.b64decode(response.headers[CHECKPOINT_HEADER]).decode("utf-8"), public)
        entries = world.api.get("admin", "/audit/export").json()["entries"]
        # The write's own entry is inside the checkpoint its response carries.
        assert checkpoint.size >= next(e["seq"] for e in entries if e["object_type"] in ("notification", "acknowledgment") and e["object_id"] == str(response.json()["id"]))
    # The latest checkpoint, inclusion and consistency proofs over HTTP, checked with RFC 9162's algorithms.
    note = world.api.get("liaison-a", "/audit/checkpoint").text
    latest = parse_checkpoint(note, public)
    entries = world.api.get("admin", "/audit/export").json()["entries"]
    proof = world.api.get("liaison-a", "/audit/proof/inclusion", params={"seq": 3, "size": latest.size}).json()["proof"]
    assert verify_inclusion(entry_leaf(entries[2]), 2, latest.size, [base64.b64decode(p) for p in proof], latest.root)
    old_root = merkle_root([entry_leaf(e) for e in entries[:5]])
    proof = world.api.get("liaison-a", "/audit/proof/consistency", params={"first": 5, "second": latest.size}).json()["proof"]
    assert verify_consistency(5, latest.size, old_root, latest.root, [base64.b64decode(p) for p in proof])
    assert world.api.get("liaison-a", "/audit/proof/consistency", params={"first": latest.size + 1, "second": latest.size + 2}).status_code == 422
