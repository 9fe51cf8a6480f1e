"""The `reelbase` command: serve, migrate, and operator tasks on users, keys and teams."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from reelbase.core import auth as core_auth
from reelbase.core.errors import DomainError
from reelbase.core.runtime import Runtime, build_runtime
from reelbase.db.models import ApiKey, User
from reelbase.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

app = typer.Typer(help="Reelbase: a self-hosted video platform.", no_args_is_help=True)
users_app = typer.Typer(help="Manage users.", no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
teams_app = typer.Typer(help="Manage teams and their limits.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")
app.add_typer(teams_app, name="teams")
console = Console()
ADMIN_EMAIL = "admin@reelbase.local"


def _runtime() -> Runtime:
    return build_runtime(Settings())


@contextmanager
def _reported() -> Iterator[None]:
    """An operator task's domain error ends the command with its message and exit code 1."""
    try:
        yield
    except DomainError as exc:
        console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(code=1) from None


def ensure_admin(runtime: Runtime) -> tuple[str, str, str] | None:
    """On the very first start (no users at all) create an admin and a key; returns
    (email, password, key secret) to print once, or None if users exist already."""
    with runtime.session() as db:
        if db.scalar(select(User.id).limit(1)) is not None:
            return None
        password = secrets.token_urlsafe(12)
        user = core_auth.create_user(db, email=ADMIN_EMAIL, password=password, team_name="admin", is_admin=True)
        issued = core_auth.create_api_key(db, user=user, server_secret=runtime.secret_key, name="first start")
        db.commit()
        return ADMIN_EMAIL, password, issued.secret


# In the data dir: whichever `serve --processes` process holds it runs the embedded job workers.
WORKER_LOCK = "serve-workers.lock"


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    processes: Annotated[int, typer.Option(
        min=1, help="Server processes sharing the port, one per core (the job workers run in one of them)")] = 1,
) -> None:
    """Start the HTTP API with its embedded database, storage and job workers."""
    import uvicorn

    from reelbase.app import create_app

    runtime = _runtime()
    if processes > 1 and runtime.settings.resolved_queue_url() == "memory":
        console.print("[red]error:[/red] --processes needs a queue the processes share: "
                      "REELBASE_QUEUE_URL=sqlite (the default) or redis://…")
        raise typer.Exit(code=2)
    if "public_url" not in runtime.settings.model_fields_set:
        # No REELBASE_PUBLIC_URL: links point at the address this server listens on.
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        runtime.settings.public_url = f"http://{shown}:{port}"
    first = ensure_admin(runtime)
    base = runtime.settings.public_url
    if first:
        email, password, secret = first
        console.print("[bold green]First start: created an admin user and an API key.[/bold green]")
        console.print(f"  email:    {email}\n  password: {password}\n  API key:  {secret}")
        console.print("  (shown once; keep them somewhere safe)")
    console.print(f"Dashboard: {base}/ (sign in with a user's email and password)", soft_wrap=True)
    console.print(f"API docs: {base}/docs   OpenAPI: {base}/openapi.json", soft_wrap=True)
    if processes == 1:
        uvicorn.run(create_app(runtime), host=host, port=port, log_level="info")
        return
    runtime.engine.dispose()
    # Each process builds its own runtime from the environment, as this one did (the secret key
    # generated on a first start is in the data dir by now); links point where this one said.
    os.environ["REELBASE_PUBLIC_URL"] = base
    # A process starting on a busy machine (importing everything, encodes running) may take more
    # than uvicorn's default 5 s to answer its first health check, and would be killed for it.
    uvicorn.run("reelbase.cli:serve_process_app", factory=True, workers=processes, host=host, port=port,
                log_level="info", timeout_worker_healthcheck=30)


def serve_process_app() -> FastAPI:
    """The app of one ``serve --processes N`` process (uvicorn calls this in each). The embedded
    job workers run in exactly one: the process holding the data dir's worker lock. The others
    wait for the lock, so when its holder exits (uvicorn replaces a process that died) another
    process takes the workers over."""
    from reelbase.app import create_app

    runtime = build_runtime(Settings(), migrate=False)  # the parent process migrated
    workers = runtime.settings.workers
    runtime.settings.workers = 0  # not at every process's start-up: only once elected
    app = create_app(runtime)
    app.state.queue.start_workers_when_elected(workers, lock_path=runtime.settings.data_dir / WORKER_LOCK)
    return app


@app.command()
def worker(
    workers: Annotated[int, typer.Option(help="Worker threads in this process")] = 2,
) -> None:
    """Run background jobs only (for REELBASE_QUEUE_URL=redis://…, on any number of hosts)."""
    import importlib

    from reelbase.dialects import DIALECTS
    from reelbase.jobs.queue import JobQueue

    for module in DIALECTS.values():  # dialects register their webhook payload formats on import
        importlib.import_module(module)
    runtime = _runtime()
    console.print(f"worker: queue {runtime.settings.resolved_queue_url()}, {workers} thread(s)")
    JobQueue(runtime).run_forever(workers)


# -- reelbase upload: a tus client for people; the work is in client/console.py --------------
@app.command()
def upload(
    paths: Annotated[list[Path], typer.Argument(help="Video files to upload")],
    server: Annotated[str, typer.Option(envvar="REELBASE_SERVER", help="Reelbase URL")] = "http://127.0.0.1:8000",
    key: Annotated[str, typer.Option(envvar="REELBASE_API_KEY", help="API key secret")] = "",
    title: Annotated[str | None, typer.Option(help="Title (one file; default: the file name)")] = None,
    project: Annotated[str | None, typer.Option(help="Project id to put the videos in")] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Wait until each video is ready")] = False,
    wait_timeout: Annotated[float, typer.Option(help="Seconds --wait waits at most")] = 3600,
    chunk_mb: Annotated[int, typer.Option(min=1, max=1024, help="Chunk size in MiB")] = 8,
    state_file: Annotated[Path | None, typer.Option(envvar="REELBASE_UPLOAD_STATE",
                                                    help="Where unfinished uploads are remembered")] = None,
) -> None:
    """Upload files over tus with progress bars; run again to resume an interrupted upload."""
    from reelbase.client.console import upload_files

    if not key:
        console.print("[red]error:[/red] give the API key with --key or REELBASE_API_KEY")
        raise typer.Exit(code=2)
    raise typer.Exit(code=upload_files(paths, server=server, key=key, title=title, project=project, wait=wait,
                                       wait_timeout=wait_timeout, chunk_size=chunk_mb << 20,
                                       state_file=state_file, console=console))
# -- end of reelbase upload ---------------------------------------------------------------------


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    build_runtime(Settings(), migrate=True)
    console.print("database is up to date")


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="Email address (the login)")],
    password: Annotated[str | None, typer.Option(help="Password (omit for an API-only user)")] = None,
    team: Annotated[str | None, typer.Option(help="Team name (created if new)")] = None,
    admin: Annotated[bool, typer.Option(help="Make the user an operator")] = False,
    email_confirmed: Annotated[bool, typer.Option(help="You have checked that the address is theirs")] = False,
) -> None:
    """Create a user in a team."""
    runtime = _runtime()
    with _reported(), runtime.session() as db:
        user = core_auth.create_user(db, email=email, password=password, team_name=team, is_admin=admin,
                                     email_confirmed=email_confirmed)
        team_obj = core_auth.primary_team(db, user)
        db.commit()
        console.print(f"created user {user.email} (id {user.uuid}) in team {team_obj.name!r}")


@users_app.command("ban")
def users_ban(email: str, unban: Annotated[bool, typer.Option(help="Lift the ban")] = False,
              reason: Annotated[str | None, typer.Option(help="Why (shown to the user's API clients)")] = None,
              ) -> None:
    """Ban a user: their keys and tokens stop working at once."""
    runtime = _runtime()
    with _reported(), runtime.session() as db:
        user = core_auth.set_banned(db, email=email, banned=not unban, reason=reason)
        db.commit()
        console.print(f"{user.email} is {'banned' if user.banned else 'no longer banned'}")


@keys_app.command("create")
def keys_create(
    email: Annotated[str, typer.Option(help="The key's user")],
    type: Annotated[str, typer.Option("--type", help="user or organization")] = "user",
    name: Annotated[str, typer.Option(help="A label for the key")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Create an API key; its secret is printed once."""
    runtime = _runtime()
    with _reported(), runtime.session() as db:
        user = core_auth.get_user_by_email(db, email)
        issued = core_auth.create_api_key(db, user=user, server_secret=runtime.secret_key, key_type=type, name=name)
        db.commit()
        key = issued.api_key
        data = {
            "id": key.id,
            "public_key": key.public_id,
            "secret": issued.secret,
            "type": key.key_type,
            "name": key.name,
            "email": user.email,
        }
    if as_json:
        typer.echo(json.dumps(data))
    else:
        console.print(f"public key: {data['public_key']}\nsecret:     {data['secret']}\n(the secret is shown once)")


@keys_app.command("list")
def keys_list() -> None:
    """List API keys (never their secrets)."""
    runtime = _runtime()
    table = Table("id", "public key", "type", "name", "user", "created", "revoked")
    with runtime.session() as db:
        for key in core_auth.list_api_keys(db):
            user = db.get_one(User, key.user_id)
            table.add_row(
                str(key.id), key.public_id, key.key_type, key.name, user.email,
                key.created_at.strftime("%Y-%m-%d %H:%M"),
                key.revoked_at.strftime("%Y-%m-%d %H:%M") if key.revoked_at else "",
            )
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="Numeric id or public key")]) -> None:
    """Revoke an API key: requests with it fail from now on."""
    runtime = _runtime()
    with _reported(), runtime.session() as db:
        key: ApiKey = core_auth.revoke_api_key(db, key_id)
        db.commit()
        console.print(f"revoked {key.public_id}")


@teams_app.command("limits")
def teams_limits(
    email: Annotated[str, typer.Option(help="A member of the team")],
    quota_bytes: Annotated[int | None, typer.Option(help="Total stored bytes")] = None,
    quota_videos: Annotated[int | None, typer.Option(help="Number of videos")] = None,
    max_upload_bytes: Annotated[int | None, typer.Option(help="Size of one upload")] = None,
) -> None:
    """Show or change a team's limits (unset ones fall back to the settings)."""
    runtime = _runtime()
    with _reported(), runtime.session() as db:
        team = core_auth.primary_team(db, core_auth.get_user_by_email(db, email))
        core_auth.set_team_limits(
            db, team=team, quota_bytes=quota_bytes, quota_videos=quota_videos, max_upload_bytes=max_upload_bytes
        )
        db.commit()
        limits = core_auth.team_limits(runtime.settings, team)
        console.print(
            f"team {team.name!r}: quota_bytes={limits.quota_bytes} "
            f"quota_videos={limits.quota_videos} "
            f"max_upload_bytes={limits.max_upload_bytes}"
        )



@teams_app.command("playback-origins")
def teams_playback_origins(
    email: Annotated[str, typer.Option(help="A member of the team")],
    origin: Annotated[list[str] | None, typer.Option(
        "--origin", help="An origin whose pages may play the team's streams (repeat for more); replaces the list")] = None,
    any_origin: Annotated[bool, typer.Option("--any", help="Let pages on any origin play them again")] = False,
) -> None:
    """Show or set the web origins allowed to play a team's streams (none listed: any origin)."""
    runtime = _runtime()
    with _reported(), runtime.session() as db:
        team = core_auth.primary_team(db, core_auth.get_user_by_email(db, email))
        if any_origin or origin:
            core_auth.set_playback_origins(db, team=team, origins=[] if any_origin else list(origin or []))
            db.commit()
        listed = team.playback_origins or []
        console.print(f"team {team.name!r}: playback origins " + (", ".join(listed) if listed else "any"))

if __name__ == "__main__":
    app()
