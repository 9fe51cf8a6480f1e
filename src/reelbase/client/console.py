"""``reelbase upload``: upload files with one Rich progress bar each (speed, time left), resume
interrupted uploads on the next run, optionally wait until each video is ready.

Ctrl-C stops cleanly: the bar stops, the upload URL stays remembered, and the same command
resumes where the server's offset says. Exit status: 0 all done, 1 a file failed, 130 interrupted.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from reelbase.client.tus import DEFAULT_CHUNK, ResumeStore, TusUploader, UploadError, UploadResult


def _bars(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}", justify="left"), BarColumn(), DownloadColumn(),
        TransferSpeedColumn(), TimeRemainingColumn(), console=console, transient=False,
    )


def upload_files(
    paths: list[Path],
    *,
    server: str,
    key: str,
    title: str | None = None,
    project: str | None = None,
    wait: bool = False,
    wait_timeout: float = 3600,
    chunk_size: int = DEFAULT_CHUNK,
    state_file: Path | None = None,
    console: Console | None = None,
    uploader: TusUploader | None = None,
) -> int:
    """Upload ``paths`` one after another; returns the exit status."""
    console = console or Console()
    uploader = uploader or TusUploader(server, key, chunk_size=chunk_size, store=ResumeStore(state_file))
    missing = [p for p in paths if not Path(p).is_file()]
    if missing:
        console.print(f"[red]error:[/red] not a file: {', '.join(str(p) for p in missing)}")
        return 1
    failed = False
    results: list[UploadResult] = []
    try:
        with _bars(console) as bars:
            tasks: dict[Path, TaskID] = {
                Path(p): bars.add_task(Path(p).name, total=Path(p).stat().st_size, start=False) for p in paths
            }
            for path, task in tasks.items():
                bars.start_task(task)
                try:
                    result = uploader.upload(
                        path, title=title if len(paths) == 1 else None, project=project,
                        on_progress=lambda done, total, t=task: bars.update(t, completed=done, total=total),
                    )
                except UploadError as exc:
                    failed = True
                    bars.update(task, description=f"[red]{path.name}: {exc}")
                    continue
                results.append(result)
                if result.resumed_from:
                    bars.console.print(f"{path.name}: resumed at byte {result.resumed_from:,}")
        for result in results:
            # soft_wrap: ids and URLs are printed whole, never wrapped or shortened, to be copied
            console.print(f"[green]{result.path.name}[/green]  video {result.video_id}\n"
                          f"  {result.video_url}\n  original: {result.original_url}", soft_wrap=True)
            if wait:
                video = _wait(console, uploader, result.video_id, wait_timeout)
                failed = failed or video["state"] != "ready"
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/yellow]: run the same command again to resume")
        return 130
    return 1 if failed else 0


def _wait(console: Console, uploader: TusUploader, video_id: str, timeout: float) -> dict:
    with console.status(f"waiting for {video_id} to be ready…") as status:
        def show(video: dict) -> None:
            status.update(f"{video_id}: {video['state']} {video.get('progress', 0)}%")

        video = uploader.wait_ready(video_id, on_state=show, timeout=timeout)
    note = f" ({video['state_message']})" if video.get("state_message") else ""
    colour = "green" if video["state"] == "ready" else "red"
    console.print(f"  state: [{colour}]{video['state']}[/{colour}]{note}")
    return video
