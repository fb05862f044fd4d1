"""Hearth over HTTP beside baseline apps, under the same gunicorn, in one run.

Every server runs as ``gunicorn -w 2 -k gthread --threads 4`` on 127.0.0.1 and is loaded
by ``wrk -t2 -c8``. The baselines (``bench/http_baselines.py``) are a bare Flask "hello",
a route reading one row by primary key ("pk") and one inserting a row and committing
("insert"), the last two on the very database the Hearth server of the same row uses.
Each row is measured baseline then Hearth, round after round (3 by default), and the
median round is reported, so a machine that slows down mid-run slows both sides.

Hearth serves two data sets (``bench/http_data.py``): the demo, and a county network
(the demo plus 10,000 upcoming sessions and 3,000 signed-in families), on SQLite and, with
``--postgres URL`` or TEST_DATABASE_URL, on PostgreSQL too for bookings. Worker memory is
read from /proc after 300 requests for the home page. With ``--with-builders`` the feed
and mail benchmarks (``feed_build.py``, ``mail_dispatch.py``) run too and their tables
are added to the report. ``--write`` puts the report into BENCHMARKS.md.

    .venv/bin/python bench/http_load.py --with-builders --write
    .venv/bin/python bench/http_load.py --quick     # CI: small data, one short round, checks only

Every response must have the status its row expects (200, 304 or 303 after a booking or
a login); any other fails the run, so a benchmark of error pages can't pass for a fast one.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import http_baselines  # noqa: E402
import http_data  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from mail_dispatch import database  # noqa: E402

GUNICORN = ["-w", "2", "-k", "gthread", "--threads", "4"]
WRK = ["-t2", "-c8"]
SECRET_KEY = "http-load-bench-secret-key-not-for-production"
LUA = ROOT / "bench" / "wrk" / "load.lua"
#: Requests for the home page before worker memory is read.
MEMORY_REQUESTS = 300


@dataclass(frozen=True)
class Size:
    sessions: int
    families: int
    duration: int
    rounds: int


FULL = Size(sessions=10_000, families=3_000, duration=5, rounds=3)
QUICK = Size(sessions=200, families=50, duration=1, rounds=1)


# --- servers ---------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each worker (the master's children), in MB."""
        sizes = []
        for child in Path(f"/proc/{self.process.pid}/task").glob("*/children"):
            for pid in child.read_text().split():
                status = Path(f"/proc/{pid}/status").read_text()
                rss = next(x for x in status.splitlines() if x.startswith("VmRSS"))
                sizes.append(int(rss.split()[1]) / 1024)
        return sorted(sizes)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve(name: str, app: str, environment: dict[str, str], logs: Path) -> Iterator[Server]:
    port = _free_port()
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--config", str(ROOT / "gunicorn.conf.py"),
        *GUNICORN,
        "-b", f"127.0.0.1:{port}",
        "--pythonpath", str(ROOT / "bench"),
        app,
    ]  # fmt: skip
    env = {**os.environ, **environment}
    with open(logs / f"{name}.log", "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    server = Server(name, port, process)
    try:
        _wait_until_up(server)
        yield server
    finally:
        process.terminate()
        process.wait(20)


def _wait_until_up(server: Server) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"{server.name} stopped at start: see its log")
        try:
            with urllib.request.urlopen(server.url + "/", timeout=5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{server.name} did not answer within 60 s")


def hearth_environment(url: str, port_hint: str = "127.0.0.1") -> dict[str, str]:
    return {
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET_KEY,
        "BASE_URL": f"http://{port_hint}",
        "SESSION_COOKIE_SECURE": "0",
        "SCHEDULER_IN_PROCESS": "0",
    }


# --- data --------------------------------------------------------------------------------------


def prepare(url: str, size: Size, *, network: bool, folder: Path) -> http_data.DataSet | None:
    """Migrate ``url`` and load a data set into it; write the load generator's files."""
    app = http_data.make_app(hearth_environment(url))
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    http_baselines.create_table(url)
    now = http_data.now()
    if not network:
        http_data.load_demo(app, now)
        return None
    data = http_data.load_network(app, now, sessions=size.sessions, families=size.families)
    (folder / "families.tsv").write_text(
        "".join(f"{f.email}\t{f.cookie}\t{f.csrf}\n" for f in data.families)
    )
    (folder / "sessions.txt").write_text("".join(f"{i}\n" for i in data.session_ids))
    return data


# --- measuring ---------------------------------------------------------------------------------


@dataclass
class Load:
    """One wrk run's instructions: where, what, and which status every answer must have."""

    path: str
    mode: str = "get"
    expect: int = 200
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float


def run_wrk(server: Server, load: Load, seconds: int, offset: int) -> Result:
    env = {
        **os.environ,
        "LOAD_MODE": load.mode,
        "LOAD_EXPECT": str(load.expect),
        "LOAD_THREADS": "2",
        "LOAD_OFFSET": str(offset),
        **load.env,
    }
    command = ["wrk", *WRK, f"-d{seconds}s", "-s", str(LUA), server.url + load.path]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no result for {server.name}{load.path}:\n{done.stdout}")
    report = json.loads(line.removeprefix("WRK_JSON "))
    if report["unexpected"] or report["socket_errors"] or not report["requests"]:
        raise SystemExit(
            f"{server.name} {load.mode} {load.path}: {report['requests']} requests, "
            f"{report['unexpected']} with another status than {load.expect}, "
            f"{report['socket_errors']} socket errors\n{done.stderr}"
        )
    return Result(
        rps=report["requests"] / (report["duration_us"] / 1e6),
        p50_ms=report["p50_us"] / 1000,
        p99_ms=report["p99_us"] / 1000,
    )


@dataclass
class Row:
    what: str
    data: str
    hearth: tuple[Server, Load]
    baseline: tuple[Server, Load]
    baseline_name: str
    goal: float | None
    #: Extra goal text (p99, absolute rps), checked by hand from the numbers.
    note: str = ""
    results: list[tuple[Result, Result]] = field(default_factory=list)

    def median(self) -> tuple[Result, Result]:
        """The round with the median ratio (both sides from the same round)."""
        ordered = sorted(self.results, key=lambda pair: pair[0].rps / pair[1].rps)
        return ordered[len(ordered) // 2]


def measure(rows: list[Row], size: Size) -> None:
    offset = 0
    for round_number in range(size.rounds):
        for row in rows:
            sides = {"baseline": row.baseline, "hearth": row.hearth}
            order = ["baseline", "hearth"] if round_number % 2 == 0 else ["hearth", "baseline"]
            measured = {}
            for side in order:  # neither side always goes first
                server, load = sides[side]
                measured[side] = run_wrk(server, load, size.duration, offset)
                offset += 1_000_000
            row.results.append((measured["hearth"], measured["baseline"]))
            hearth, base = row.results[-1]
            print(
                f"round {round_number + 1} {row.what} ({row.data}): Hearth {hearth.rps:,.0f} rps, "
                f"{row.baseline_name} {base.rps:,.0f} rps",
                file=sys.stderr,
            )


def warm_memory(server: Server) -> tuple[list[float], list[float]]:
    before = server.worker_rss_mb()
    for _ in range(MEMORY_REQUESTS):
        with urllib.request.urlopen(server.url + "/", timeout=30) as answer:
            answer.read()
    return before, server.worker_rss_mb()


def _if_none_match(server: Server, path: str) -> dict[str, str]:
    """The header a calendar app sends when it polls again: the ETag it was given."""
    with urllib.request.urlopen(server.url + path, timeout=60) as answer:
        return {"LOAD_IF_NONE_MATCH": str(answer.headers["ETag"])}


# --- the report ----------------------------------------------------------------------------------


def table(rows: list[Row], memory: tuple[list[float], list[float], list[float]]) -> str:
    lines = [
        "| what | data | Hearth rps | p50 / p99 ms | baseline | baseline rps | ratio | goal |",
        "| --- | --- | ---: | ---: | --- | ---: | ---: | ---: |",
    ]
    for row in rows:
        hearth, base = row.median()
        ratio = hearth.rps / base.rps
        goal = f"≥ {row.goal:.2f}×" if row.goal is not None else ""
        goal = ", ".join(x for x in (goal, row.note) if x)
        lines.append(
            f"| {row.what} | {row.data} | {hearth.rps:,.0f} | {hearth.p50_ms:.1f} / "
            f"{hearth.p99_ms:.1f} | {row.baseline_name} | {base.rps:,.0f} | {ratio:.2f}× | {goal} |"
        )
    before, after, end = memory

    def sizes(mbs: list[float]) -> str:
        return " / ".join(f"{mb:.0f}" for mb in mbs) + " MB"

    lines.append(
        f"| worker memory (RSS) | after {MEMORY_REQUESTS} × `GET /`, network | {sizes(after)} | "
        f"| at start | {sizes(before)} | | ≤ 120 MB |"
    )
    lines.append(
        f"| worker memory (RSS) | after every row above (feeds, bookings, logins) | {sizes(end)} "
        "| | | | | |"
    )
    return "\n".join(lines)


def builders(postgres: str | None) -> str:
    """Run the feed and mail benchmarks; return their printed tables."""
    python = sys.executable
    feed = subprocess.run(
        [python, "bench/feed_build.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    mail_command = [python, "bench/mail_dispatch.py", "--repeats", "2"]
    if postgres:
        mail_command += ["--postgres", postgres]
    mail = subprocess.run(mail_command, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return (
        f"### Cold public feed build (`bench/feed_build.py`)\n\n{feed}\n"
        f"### Mail dispatch (`bench/mail_dispatch.py`)\n\n{mail}"
    )


MARK_START = "<!-- http_load: start -->"
MARK_END = "<!-- http_load: end -->"


def write_benchmarks(report: str, command: str) -> None:
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text()
    section = f"{MARK_START}\n```\n{command}\n```\n\n{report}\n{MARK_END}"
    if MARK_START in text:
        head, rest = text.split(MARK_START, 1)
        text = head + section + rest.split(MARK_END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n## Hearth over HTTP\n\n" + section + "\n"
    path.write_text(text)


# --- the run -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data, one 1 s round (CI)")
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--with-builders", action="store_true")
    parser.add_argument("--write", action="store_true", help="put the report in BENCHMARKS.md")
    parser.add_argument("--duration", type=int, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--only", help="measure only the rows whose name contains this")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    size = QUICK if args.quick else FULL
    size = Size(
        size.sessions, size.families, args.duration or size.duration, args.rounds or size.rounds
    )
    with tempfile.TemporaryDirectory(prefix="hearth-http-") as folder_name, ExitStack() as stack:
        folder = Path(folder_name)
        rows, memory = setup_and_measure(stack, folder, size, args.postgres, args.only)
    report = table(rows, memory)
    if args.with_builders:
        report += "\n\n" + builders(args.postgres)
    print(report)
    if args.write and not args.quick and not args.only:
        write_benchmarks(report, " ".join(["python", *sys.argv]))


def setup_and_measure(
    stack: ExitStack, folder: Path, size: Size, postgres: str | None, only: str | None = None
) -> tuple[list[Row], tuple[list[float], list[float], list[float]]]:
    logs = folder / "logs"
    logs.mkdir()
    demo_url = f"sqlite:///{folder / 'demo.sqlite3'}"
    network_url = f"sqlite:///{folder / 'network.sqlite3'}"
    prepare(demo_url, size, network=False, folder=folder)
    sqlite_folder = folder / "sqlite"
    sqlite_folder.mkdir()
    network = prepare(network_url, size, network=True, folder=sqlite_folder)
    assert network is not None

    def hearth(name: str, url: str) -> Server:
        return stack.enter_context(serve(name, "app:app", hearth_environment(url), logs))

    def baseline(name: str, kind: str, url: str | None = None) -> Server:
        env = {"BENCH_APP": kind, "BENCH_DATABASE_URL": url or ""}
        return stack.enter_context(serve(name, "http_baselines:app", env, logs))

    hello = baseline("hello", "hello")
    demo_server = hearth("hearth-demo", demo_url)
    network_server = hearth("hearth-network", network_url)
    sqlite_base = baseline("sqlite-baseline", "db", network_url)
    memory = warm_memory(network_server)

    get = Load("/")
    rows = [
        Row("`GET /` public list", "demo", (demo_server, get), (hello, get), "hello", 0.30),
        Row("`GET /` public list", "network", (network_server, get), (hello, get), "hello", 0.25),
        Row(
            "`GET /workshops/<id>`, 6 sessions",
            "network",
            (network_server, Load(f"/workshops/{network.workshop_id}")),
            (hello, get),
            "hello",
            0.30,
        ),
        Row(
            "`GET /calendar` month",
            "network",
            (network_server, Load("/calendar")),
            (hello, get),
            "hello",
            0.25,
        ),
    ]
    public = "/calendar/workshops.ics"
    rows.append(
        Row(
            "public feed, unchanged (304)",
            "network",
            (network_server, Load(public, expect=304, env=_if_none_match(network_server, public))),
            (hello, get),
            "hello",
            0.80,
        )
    )
    private = network.private_feed_path
    rows += [
        Row(
            "private feed 200, 20 bookings",
            "network",
            (network_server, Load(private)),
            (hello, get),
            "hello",
            0.30,
        ),
        Row(
            "private feed unchanged (304)",
            "network",
            (
                network_server,
                Load(private, expect=304, env=_if_none_match(network_server, private)),
            ),
            (hello, get),
            "hello",
            0.80,
        ),
    ]
    rows.append(booking_row("SQLite", network_server, sqlite_base, sqlite_folder, network))
    if postgres:
        pg_folder = folder / "postgres"
        pg_folder.mkdir()
        pg_url = stack.enter_context(database("postgres", postgres, pg_folder))
        pg_data = prepare(pg_url, size, network=True, folder=pg_folder)
        assert pg_data is not None
        pg_server = hearth("hearth-postgres", pg_url)
        pg_base = baseline("postgres-baseline", "db", pg_url)
        rows.append(booking_row("PostgreSQL", pg_server, pg_base, pg_folder, pg_data))
    login = Load(
        "/login",
        mode="login",
        expect=303,
        env={
            "LOAD_FAMILIES": str(sqlite_folder / "families.tsv"),
            "LOAD_VISITOR_COOKIE": network.visitor_cookie,
            "LOAD_VISITOR_CSRF": network.visitor_csrf,
            "LOAD_PASSWORD": http_data.PASSWORD,
        },
    )
    rows.append(
        Row(
            "`POST /login`",
            "network",
            (network_server, login),
            (hello, get),
            "hello",
            None,
            "≥ 40 rps",
        )
    )
    rows = [row for row in rows if only is None or only in row.what]
    measure(rows, size)
    time.sleep(3)  # wrk is gone, but requests it had sent may still be running (a login's 19 MiB)
    return rows, (*memory, network_server.worker_rss_mb())


def booking_row(
    database_name: str, server: Server, base: Server, folder: Path, data: http_data.DataSet
) -> Row:
    book = Load(
        "/",
        mode="book",
        expect=303,
        env={
            "LOAD_FAMILIES": str(folder / "families.tsv"),
            "LOAD_SESSIONS": str(folder / "sessions.txt"),
        },
    )
    del data
    return Row(
        f"`POST /sessions/<id>/book`, {database_name}",
        f"{len((folder / 'families.tsv').read_text().splitlines()):,} families",
        (server, book),
        (base, Load("/", mode="write")),
        "insert",
        0.50,
        "p99 ≤ 10× p50",
    )


if __name__ == "__main__":
    main()
