"""Time whole draws through the service: in-process operations and the HTTP API.

For each pool size it fills a fresh database with synthetic experts (19 groups, employers
of varied size, 3 % unavailable, conflict pairs), then times
a 5-member, 3-group draw with one-per-employer, conflicts, a leader rule and 2
alternates per group:

- in-process: `commit_draw` + `reveal_draw` called directly, one transaction each;
- HTTP: POST /tasks/{id}/draws then POST /draws/{id}/reveal against a server on
  127.0.0.1 started by this script.

Every repetition uses a new task on a new day, so no earlier panel clashes with a
later draw. 3 % of the experts are unavailable over the whole benchmark window.

    python bench/bench_service.py --sizes 1000 10000 100000 --repeat 30 \
        --database postgresql+psycopg://postgres@127.0.0.1:5432/panel_service_bench

The database named in --database is created if missing and dropped afterwards when the
script created it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import itertools
import json
import logging
import os
import platform
import random
import statistics
import sys
import threading
import time
from pathlib import Path

import psycopg
import sqlalchemy as sa
from sqlmodel import SQLModel
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from panel_service import migrate  # noqa: E402
from panel_service.app import create_app  # noqa: E402
from panel_service.db import unit_of_work  # noqa: E402
from panel_service.draws import operations  # noqa: E402
from panel_service.draws.eligibility import pseudonym  # noqa: E402
from panel_service.experts.models import Conflict, Expert, Unavailability  # noqa: E402
from panel_service.pool.taxonomy import GROUPS  # noqa: E402
from panel_service.tasks.models import Task, TaskType  # noqa: E402
from panel_service.users.operations import create_user, issue_token  # noqa: E402

SITS_ON = dt.date(2027, 3, 1)
PANEL_GROUPS = {"forensic_clinical": 2, "forensic_pathology": 2, "forensic_psychiatry": 1}
PSEUDONYM_KEY = "bench-pseudonym-key"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def ensure_database(url: str) -> bool:
    name = sa.engine.make_url(url).database
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
    return not exists


def drop_database(url: str) -> None:
    name = sa.engine.make_url(url).database
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def reset(engine: sa.Engine) -> None:
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    migrate.upgrade(engine)


def fill_pool(engine: sa.Engine, size: int, rng: random.Random) -> None:
    groups = [group.code for group in GROUPS]
    employers = [f"employer-{index}" for index in range(max(10, size // 8))]
    rows = []
    for index in range(size):
        group = groups[index % len(groups)]
        id_number = f"{index:018d}"
        rows.append(
            {
                "pseudonym": pseudonym(PSEUDONYM_KEY, "expert", id_number),
                "name": f"expert {index}",
                "id_number": id_number,
                "employer_name": (employer := rng.choice(employers)),
                "employer_key": employer,
                "employer_type": rng.choice(["appraisal_institution", "university", "court", "hospital"]),
                "title_level": rng.choice(["full_senior", "associate_senior", "associate_senior"]),
                "sub_pool": "forensic_medicine",
                "group": group,
                "term_start": dt.date(2024, 1, 1),
                "term_end": dt.date(2028, 12, 31),
                "status": "active",
                "status_reasons": [],
                "created_at": dt.datetime.now(dt.timezone.utc),
                "updated_at": dt.datetime.now(dt.timezone.utc),
            }
        )
    with engine.begin() as connection:
        connection.execute(Expert.__table__.insert(), rows)
        unavailable = [
            {"expert_id": expert_id, "starts_on": SITS_ON - dt.timedelta(days=2), "ends_on": SITS_ON + dt.timedelta(days=400)}
            for expert_id in rng.sample(range(1, size + 1), size * 3 // 100)
        ]
        connection.execute(Unavailability.__table__.insert(), unavailable)
        pairs = [
            {"expert_id": a, "other_expert_id": b, "relation": "spouse"}
            for a, b in (rng.sample(range(1, size + 1), 2) for _ in range(max(5, size // 100)))
        ]
        connection.execute(Conflict.__table__.insert(), pairs)


_task_days = itertools.count()


def new_task(session, user) -> Task:
    # A new day for every task, so that earlier panels never clash with later ones.
    day = SITS_ON + dt.timedelta(days=next(_task_days))
    task = Task(
        task_type=TaskType.spot_check,
        title="bench",
        sits_from=day,
        sits_to=day,
        group_counts=PANEL_GROUPS,
        alternates=2,
        attribute_rules=[],
        require_leader=True,
        one_per_employer=True,
        method="first_feasible",
        created_by_id=user.id,
    )
    session.add(task)
    session.flush()
    return task


def time_in_process(app, user_id: int, repeat: int) -> list[float]:
    from panel_service.users.models import User

    times = []
    for _ in range(repeat):
        with app.app_context():
            with unit_of_work() as session:
                task = new_task(session, session.get(User, user_id))
            started = time.perf_counter()
            with unit_of_work() as session:
                user = session.get(User, user_id)
                draw = operations.commit_draw(session, task, user, app.extensions["panel_settings"])
            with unit_of_work() as session:
                operations.reveal_draw(session, draw, session.get(User, user_id), ["20270301"])
            times.append((time.perf_counter() - started) * 1000)
    return times


def _post(port: int, path: str, token: str, body: dict) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("POST", path, json.dumps(body), {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    response = connection.getresponse()
    data = json.loads(response.read())
    if response.status >= 300:
        raise RuntimeError(f"{path} returned {response.status}: {data}")
    return data


def time_http(app, user_id: int, token: str, repeat: int) -> list[float]:
    from panel_service.users.models import User

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    times = []
    try:
        for _ in range(repeat):
            with app.app_context(), unit_of_work() as session:
                task_id = new_task(session, session.get(User, user_id)).id
            started = time.perf_counter()
            draw = _post(server.port, f"/api/v1/tasks/{task_id}/draws", token, {})
            _post(server.port, f"/api/v1/draws/{draw['id']}/reveal", token, {"supervisor_entropy": ["20270301"]})
            times.append((time.perf_counter() - started) * 1000)
    finally:
        server.shutdown()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000], help="pool sizes (experts)")
    parser.add_argument("--repeat", type=int, default=30, help="draws timed per pool size and path")
    parser.add_argument(
        "--database",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/panel_service_bench",
        help="SQLAlchemy URL of a PostgreSQL database this script may wipe",
    )
    args = parser.parse_args()

    created = ensure_database(args.database)
    app = create_app({"app": {"env": "testing"}, "database": {"url": args.database}, "pseudonym": {"key": PSEUDONYM_KEY}})
    engine = app.extensions["panel_engine"]
    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print("| experts | path | median ms | p95 ms | draws |")
    print("|---:|---|---:|---:|---:|")
    try:
        for size in args.sizes:
            reset(engine)
            fill_pool(engine, size, random.Random(size))
            with app.app_context(), unit_of_work() as session:
                user = create_user(session, "bench", "bench-password-123", "admin")
                token = issue_token(session, user)
            for label, times in (
                ("in-process", time_in_process(app, user.id, args.repeat)),
                ("HTTP API", time_http(app, user.id, token, args.repeat)),
            ):
                print(f"| {size:,} | {label} | {statistics.median(times):.1f} | {percentile(times, 0.95):.1f} | {len(times)} |", flush=True)
    finally:
        engine.dispose()
        if created:
            drop_database(args.database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
