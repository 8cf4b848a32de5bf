"""Commands of the coordination service: ``serve``, and ``audit verify`` / ``audit export``.

Configuration comes from ``SAFEPASSAGE_*`` environment variables (see ``docs/service.md``): with none,
the service keeps an SQLite file and its signing key in ``./.safepassage/``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from safepassage.cli.app import app, console, handle_errors

audit_app = typer.Typer(help="The tamper-evident audit record: verify the chain, export it for the parties.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")

DataDirOpt = Annotated[Path | None, typer.Option("--data-dir", help="Folder for the SQLite file and the signing key (default: $SAFEPASSAGE_DATA_DIR or ./.safepassage).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of text.")]


def _settings(data_dir: Path | None):  # type: ignore[no-untyped-def]
    from safepassage.service.settings import Settings

    return Settings.from_env(**({"data_dir": data_dir} if data_dir else {}))


@app.command()
@handle_errors
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default; put a TLS proxy in front for anything else).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    data_dir: DataDirOpt = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Run the coordination service (OpenAPI at /docs). Zero configuration: SQLite in ./.safepassage/."""
    import uvicorn

    from safepassage.service.app import create_app

    settings = _settings(data_dir)
    application = create_app(settings)
    generated = application.state.generated_admin_password
    if generated:
        console.print(f"created the first admin: username [bold]admin[/], password [bold]{generated}[/] (shown once; set SAFEPASSAGE_ADMIN_PASSWORD to choose it)", highlight=False)
    console.print(f"database: {settings.resolved_database_url.split('@')[-1]}  ·  API docs: http://{host}:{port}/docs", highlight=False)
    uvicorn.run(application, host=host, port=port, log_level=log_level)


def _open_existing_database(settings):  # type: ignore[no-untyped-def]
    """The database to verify, opened without creating or migrating anything: a mistyped or empty data
    directory is an error (exit 2), never a new, empty, 'verified' log."""
    from sqlalchemy import inspect

    from safepassage.service.db import Database

    url = settings.resolved_database_url
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///").split("?", 1)[0])
        if not path.is_file() or path.stat().st_size == 0:
            raise typer.BadParameter(f"no database at {path}: give the data directory that holds safepassage.db (--data-dir) "
                                     "or SAFEPASSAGE_DATABASE_URL; nothing was created", param_hint="--data-dir")
    db = Database(settings)
    tables = set(inspect(db.engine).get_table_names())
    if not {"audit_entry", "audit_head"} <= tables:
        db.dispose()
        raise typer.BadParameter(f"{url.split('@')[-1]} holds no Safe Passage audit log (no audit tables): check the database URL",
                                 param_hint="--data-dir")
    return db


@audit_app.command("verify")
@handle_errors
def audit_verify(
    export: Annotated[Path | None, typer.Option("--export", exists=True, dir_okay=False, help="Verify this export file offline instead of the database.")] = None,
    public_key: Annotated[Path | None, typer.Option("--public-key", exists=True, dir_okay=False, help="The deployment's public key (PEM) you trust; required with --export.")] = None,
    checkpoint: Annotated[Path | None, typer.Option("--checkpoint", exists=True, dir_okay=False, help="A checkpoint you kept earlier (signed note, or the base64 Safepassage-Checkpoint header): the log must still extend it.")] = None,
    data_dir: DataDirOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Check the hash chain, the Merkle tree against the signed checkpoint and against a checkpoint you
    hold, and (on a database) every data row against its logged payload. Exit 5 on any difference."""
    from safepassage.service.audit import AuditChainError, load_public_key, verify_database, verify_export

    held = _read_checkpoint(checkpoint) if checkpoint is not None else None
    problems: list[str] = []
    if export is not None:
        if public_key is None:
            raise typer.BadParameter("give --public-key: an export is verified with the key you trust, not the one inside it", param_hint="--public-key")
        try:
            document = json.loads(export.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise AuditChainError(f"{export}: not a JSON audit export ({exc})") from None
        report = verify_export(document, load_public_key(public_key.read_bytes()), held)
        source = str(export)
    else:
        from safepassage.service.audit import AuditLog
        from safepassage.service.audit_rows import check_rows

        settings = _settings(data_dir)
        if public_key is not None:
            key = load_public_key(public_key.read_bytes())
        else:
            key_path = settings.resolved_signing_key_path
            if not key_path.is_file():
                raise typer.BadParameter(f"no signing key at {key_path}: give --public-key (the deployment's public key) or SAFEPASSAGE_SIGNING_KEY",
                                         param_hint="--public-key")
            from safepassage.service.audit import load_or_create_signing_key

            key = load_or_create_signing_key(key_path).public_key()
        db = _open_existing_database(settings)
        try:
            with db.read_session() as session:
                report = verify_database(session, key, held)
                problems = check_rows(session, AuditLog.rows(session)[0])
        finally:
            db.dispose()
        source = db.url.split("@")[-1]
        if problems and report.ok:
            report = report.with_problem(f"{len(problems)} data row(s) differ from the audit log")
    if json_out:
        typer.echo(json.dumps({"source": source, **report.to_dict(), "row_problems": problems}, indent=2))
    if not report.ok:
        for problem in problems:
            console.print(f"  - {problem}", highlight=False, markup=False)
        where = f" at entry {report.first_bad_seq}" if report.first_bad_seq else ""
        raise AuditChainError(f"audit log of {source} does not verify{where}: {report.problem}")
    if not json_out:
        against = f"; extends the checkpoint you hold (size {held.split(chr(10))[1]})" if held else ""
        console.print(f"[green]audit log verifies:[/] {report.entries} entries, head {report.head_seq} {report.head_hash[:16]}…, "
                      f"Merkle root matches the signed checkpoint{against} ({source})", highlight=False)


def _read_checkpoint(path: Path) -> str:
    import base64
    import binascii

    text = path.read_text(encoding="utf-8")
    if "\n" not in text.strip():  # the base64 header value as received
        try:
            text = base64.b64decode(text.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise typer.BadParameter(f"{path} is neither a signed checkpoint note nor its base64 form", param_hint="--checkpoint") from None
    return text


@audit_app.command("export")
@handle_errors
def audit_export(
    out: Annotated[Path, typer.Option("--out", dir_okay=False, help="Write the export (JSON) here.")],
    public_key_out: Annotated[Path | None, typer.Option("--public-key-out", dir_okay=False, help="Also write the public key (PEM) here.")] = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Write the log, its signed checkpoint and a signature over the whole file, for any party to verify offline."""
    from safepassage.service.audit import AuditLog, load_or_create_signing_key, public_key_pem

    settings = _settings(data_dir)
    if not settings.resolved_signing_key_path.is_file():
        raise typer.BadParameter(f"no signing key at {settings.resolved_signing_key_path}: set SAFEPASSAGE_SIGNING_KEY", param_hint="SAFEPASSAGE_SIGNING_KEY")
    db = _open_existing_database(settings)
    log = AuditLog(load_or_create_signing_key(settings.resolved_signing_key_path), settings.deployment_name)
    try:
        with db.read_session() as session:
            document = log.export(session)
    finally:
        db.dispose()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=1, ensure_ascii=False), encoding="utf-8")
    if public_key_out is not None:
        public_key_out.write_text(public_key_pem(log.public_key), encoding="ascii")
    console.print(f"wrote {out}: {len(document['entries'])} entries, head {document['head']['seq']}", highlight=False)
