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


@audit_app.command("verify")
@handle_errors
def audit_verify(
    export: Annotated[Path | None, typer.Option("--export", exists=True, dir_okay=False, help="Verify this export file offline instead of the database.")] = None,
    public_key: Annotated[Path | None, typer.Option("--public-key", exists=True, dir_okay=False, help="The deployment's public key (PEM); required with --export.")] = None,
    data_dir: DataDirOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Check the whole hash chain and signatures; report the first entry modified, deleted or reordered (exit 5)."""
    from safepassage.service.audit import AuditChainError, load_public_key, verify_export

    if export is not None:
        if public_key is None:
            raise typer.BadParameter("give --public-key: an export is verified with the key you trust, not the one inside it", param_hint="--public-key")
        try:
            document = json.loads(export.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise AuditChainError(f"{export}: not a JSON audit export ({exc})") from None
        report = verify_export(document, load_public_key(public_key.read_bytes()))
        source = str(export)
    else:
        from safepassage.service.app import build_services

        services = build_services(_settings(data_dir))
        try:
            with services.db.read_session() as session:
                report = services.audit.verify(session)
        finally:
            services.db.dispose()
        source = services.db.url.split("@")[-1]
    if json_out:
        typer.echo(json.dumps({"source": source, **report.to_dict()}, indent=2))
    if not report.ok:
        raise AuditChainError(f"audit chain of {source} does not verify at entry {report.first_bad_seq}: {report.problem}")
    if not json_out:
        console.print(f"[green]audit chain verifies:[/] {report.entries} entries, head {report.head_seq} {report.head_hash[:16]}… ({source})", highlight=False)


@audit_app.command("export")
@handle_errors
def audit_export(
    out: Annotated[Path, typer.Option("--out", dir_okay=False, help="Write the export (JSON) here.")],
    public_key_out: Annotated[Path | None, typer.Option("--public-key-out", dir_okay=False, help="Also write the public key (PEM) here.")] = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Write the chain and its signed head to a file any party can verify offline with the public key."""
    from safepassage.service.app import build_services
    from safepassage.service.audit import public_key_pem

    services = build_services(_settings(data_dir))
    try:
        with services.db.read_session() as session:
            document = services.audit.export(session)
    finally:
        services.db.dispose()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=1, ensure_ascii=False), encoding="utf-8")
    if public_key_out is not None:
        public_key_out.write_text(public_key_pem(services.audit.public_key), encoding="ascii")
    console.print(f"wrote {out}: {len(document['entries'])} entries, head {document['head']['seq']}", highlight=False)
