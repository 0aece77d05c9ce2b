"""The database: opening a node's own Tortoise context, SQLite tuning, schema migrations, and the group commit
of the hottest writes.

Each node owns a TortoiseContext rather than Tortoise's process-global state, so several nodes can run
in one process (the federation tests do) and every query goes to the right database.
"""

from __future__ import annotations

import asyncio
import operator
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.context import TortoiseContext, require_context
from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.migrations.executor import MigrationExecutor
from tortoise.models import Model

# Migrations live in node/migrations (made with `tortoise -c node.db.TORTOISE_ORM makemigrations`).
APPS = {"models": {"models": ["node.models"], "migrations": "node.migrations", "default_connection": "default"}}

# What the `tortoise` CLI reads to make a new migration after a model changes.
TORTOISE_ORM = {"connections": {"default": "sqlite://:memory:"}, "apps": APPS}

# WAL lets readers run beside the writer; NORMAL sync in WAL mode still survives a process crash
# (an OS crash may lose the last transactions, never corrupt the file).
SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON",
                  "PRAGMA busy_timeout=5000", "PRAGMA temp_store=MEMORY", "PRAGMA cache_size=-32000",
                  "PRAGMA wal_autocheckpoint=10000", "PRAGMA journal_size_limit=67108864")


# The planner's statistics (sqlite_stat1). Without them SQLite guesses, and on timelines it guessed an index
# that made it sort every status; stale ones mislead it as a node grows. ANALYZE reads about this many rows
# of each index (an estimate, which is all the planner needs), so refreshing costs milliseconds at any size:
# at start and then hourly (jobs.py).
ANALYSIS_LIMIT = 1000


async def refresh_statistics() -> None:
    """Bring the query planner's statistics up to date (SQLite; PostgreSQL's autovacuum does its own)."""
    client = get_connection("default")
    if client.capabilities.dialect == "sqlite":
        await client.execute_script(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}; ANALYZE")


async def query(sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """A hand-written read, written with SQLite's `?` placeholders; PostgreSQL gets them as `$1, $2, ...`
    (no query here has a literal `?` in a string)."""
    client = get_connection("default")
    if client.capabilities.dialect == "sqlite":  # as `read`: on this thread, no trip to the ORM's
        return await read(lambda connection: [dict(row) for row in connection.execute(sql, params)])
    parts = sql.split("?")
    sql = parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], 1))
    return await client.execute_query_dict(sql, list(params))


def tortoise_config(database_url: str, apps: dict | None = None) -> dict:
    return {"connections": {"default": database_url}, "apps": apps or APPS}


class MigrationError(Exception):
    """The database could not be brought up to date (the message is one line for the operator)."""


def _check_comments(ctx: TortoiseContext) -> None:
    """Model docstrings and field descriptions become SQL comments, and tortoise splits migration SQL on ";":
    one in a comment breaks the migration mid-statement. Refuse it by name before anything runs."""
    for label, app_models in (ctx.apps.items() if ctx.apps is not None else ()):
        for model in app_models.values():
            texts = [("docstring", model._meta.table_description or "")]
            texts += [(f"field {n!r}", f.description or "") for n, f in model._meta.fields_map.items()]
            for what, text in texts:
                if ";" in text:
                    raise MigrationError(f"model {label}.{model.__name__}: its {what} contains ';', which breaks "
                                         "its SQL migration; use another punctuation mark")


async def open_database(database_url: str, apps: dict | None = None) -> TortoiseContext:
    """Connect, tune SQLite, and bring the schema up to date; returns the node's context. A migration that
    fails raises MigrationError, with every connection closed (an open one keeps the process from exiting)."""
    ctx = TortoiseContext()
    try:
        await _open(ctx, database_url, apps or APPS)
    except BaseException as exc:
        with ctx:
            await ctx.close_connections()
        if isinstance(exc, MigrationError | OperationalError | IntegrityError):
            raise MigrationError(f"migrating the database failed: {_one_line(exc)}") from exc
        raise
    return ctx


class _RowKeepingExecutor(MigrationExecutor):
    """Migrations on a database that has rows. Tortoise adds a NOT NULL column without its default
    (`fields.BooleanField(default=False)` becomes `ADD COLUMN ... NOT NULL`), which SQLite and PostgreSQL
    refuse once the table has a row: every real node has. A constant Python default is written out as the
    column's DEFAULT for that statement, so the rows there get it."""

    def _schema_editor(self, atomic: bool = True, collect_sql: bool = False) -> Any:
        editor = super()._schema_editor(atomic=atomic, collect_sql=collect_sql)
        add_field = editor.add_field

        async def add_field_keeping_rows(model: type[Model], field_name: str) -> None:
            field = model._meta.fields_map[field_name]
            constant = field.default is not None and not callable(field.default)
            if field.null or field.has_db_default() or not constant:
                return await add_field(model, field_name)
            unset = field.db_default
            field.db_default = field.default
            try:
                await add_field(model, field_name)
            finally:
                field.db_default = unset

        editor.add_field = add_field_keeping_rows
        return editor


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, MigrationError):
        return str(exc)
    return " ".join(f"{type(exc).__name__}: {exc}".split())


_cached_dialect: list[str] = []


def _forget_other_dialects(dialect: str) -> None:
    """Tortoise caches each model's SQL by connection name and table, not by database kind, so a process
    that opens SQLite and then PostgreSQL (migrate-to-postgres, the tests) would send one's SQL to the
    other. Nodes of one kind share the cache; opening the other kind empties it."""
    from tortoise.backends.base.executor import EXECUTOR_CACHE

    if _cached_dialect and _cached_dialect[0] != dialect:
        EXECUTOR_CACHE.clear()
    _cached_dialect[:] = [dialect]


async def _open(ctx: TortoiseContext, database_url: str, apps: dict) -> None:
    with ctx:
        await ctx.init(config=tortoise_config(database_url, apps), _create_db=database_url.startswith("sqlite"))
        _forget_other_dialects(ctx.db().capabilities.dialect)
        _check_comments(ctx)
        connection = ctx.db()
        if database_url.startswith("sqlite"):
            for pragma in SQLITE_PRAGMAS:
                await connection.execute_script(pragma)
            fresh = not await connection.execute_query_dict(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' LIMIT 1")
        else:
            fresh = not await connection.execute_query_dict(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() LIMIT 1")
        if fresh:
            # A new database gets today's schema in one step and every migration recorded as applied:
            # replaying the whole history costs seconds per node (tortoise re-renders its model state for
            # each operation) and ends in the same schema, which `makemigrations` keeps equal to the models.
            await ctx.generate_schemas(safe=False)
            await MigrationExecutor(connection, apps).migrate(fake=True)
        else:  # an existing database, perhaps with a plugin enabled since: its migrations run on the rows there
            await _RowKeepingExecutor(connection, apps).migrate()
        await refresh_statistics()


async def close_database(ctx: TortoiseContext) -> None:
    with ctx:
        for client in ctx.connections.all():
            close_reader(client)
        await ctx.close_connections()


# ---- group commit (SQLite) -----------------------------------------------------------------------------------
# The hottest writes (posting, fan-out, inbound statuses) skip the ORM's per-statement round trips: each is
# a plain function that runs its statements on the connection's own thread, and the writes of concurrent
# requests share one transaction, so a burst of posts costs one thread hop and one commit, not dozens.
# Every caller resumes only after that COMMIT, so an acknowledged write is as durable as any other. Each
# write runs inside its own SAVEPOINT: one that fails is rolled back alone and its caller gets the error.
# Other databases keep the ORM path (callers check `is_sqlite()`).

T = TypeVar("T")
Write = Callable[[sqlite3.Connection], T]


def get_connection(alias: str) -> BaseDBAsyncClient:
    """The current context's connection `alias`, as tortoise's get_connection finds it, without the import
    that one runs on every call (a microsecond, and a request asks several dozen times)."""
    return require_context().connections.get(alias)


def is_sqlite(model: type[Model]) -> bool:
    return get_connection(model._meta.default_connection or "default").capabilities.dialect == "sqlite"


def insert_statement(instance: Model) -> tuple[str, list[Any]]:
    """The INSERT the ORM would run for `instance`: its cached SQL and the values converted the same way."""
    meta = instance._meta
    executor = meta.db.executor_class(model=type(instance), db=meta.db)
    return executor.insert_query_all, [meta.fields_map[name].to_db_value(getattr(instance, name), instance)
                                       for name in executor.regular_columns_all]


class _GroupCommit:
    def __init__(self, client: BaseDBAsyncClient) -> None:
        self.client = client
        self.pending: list[tuple[Write[Any], asyncio.Future[Any]]] = []
        self.flushing: asyncio.Task | None = None

    async def run(self, write: Write[T]) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self.pending.append((write, future))
        if self.flushing is None or self.flushing.done():
            self.flushing = asyncio.get_running_loop().create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        await asyncio.sleep(0)  # let requests already in flight join this batch
        while self.pending:
            async with self.client.acquire_connection() as connection:  # the ORM's lock: no statement interleaves
                batch, self.pending = self.pending, []  # everything that queued while we waited for the lock
                try:
                    outcomes = await connection._execute(_commit_together, connection._conn, [w for w, _ in batch])
                except Exception as exc:  # noqa: BLE001 - the COMMIT itself failed: nobody's write stands
                    outcomes = [(False, exc)] * len(batch)
            for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(_translated(value))


def _commit_together(db: sqlite3.Connection, writes: list[Write[Any]]) -> list[tuple[bool, Any]]:
    """On the connection's thread: BEGIN, each write in its savepoint, COMMIT (or ROLLBACK on failure)."""
    outcomes: list[tuple[bool, Any]] = []
    db.execute("BEGIN IMMEDIATE")
    try:
        for write in writes:
            db.execute("SAVEPOINT grouped")
            try:
                outcomes.append((True, write(db)))
            except Exception as exc:  # noqa: BLE001 - handed to that write's caller
                db.execute("ROLLBACK TO grouped")
                outcomes.append((False, exc))
            db.execute("RELEASE grouped")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return outcomes


def _translated(exc: Exception) -> Exception:
    """sqlite3's errors as the ORM raises them, so callers and the error middleware see one kind."""
    if isinstance(exc, sqlite3.IntegrityError):
        return IntegrityError(exc)
    if isinstance(exc, sqlite3.OperationalError):
        return OperationalError(exc)
    return exc


_groups: weakref.WeakKeyDictionary[BaseDBAsyncClient, _GroupCommit] = weakref.WeakKeyDictionary()


async def write(work: Write[T]) -> T:
    """Run `work(sqlite3_connection)` in a transaction shared with concurrent writers; returns its result once
    committed. Inside an ORM transaction it simply joins that transaction. SQLite only."""
    client = get_connection("default")
    if isinstance(client, TransactionalDBClient):
        async with client.acquire_connection() as connection:
            try:
                return await connection._execute(work, connection._conn)
            except Exception as exc:
                raise _translated(exc) from exc
    group = _groups.get(client)
    if group is None:
        group = _groups[client] = _GroupCommit(client)
    return await group.run(work)


async def insert(instances: Sequence[Model]) -> None:
    """Insert new model instances in a transaction shared with concurrent writers (SQLite), or with the
    ORM's bulk insert elsewhere."""
    if not instances:
        return
    model = type(instances[0])
    if not is_sqlite(model):
        await model.bulk_create(list(instances))
        return
    statements = [insert_statement(instance) for instance in instances]
    await write(lambda connection: connection.executemany(statements[0][0], [values for _, values in statements]))
    for instance in instances:
        instance._saved_in_db = True


async def read(work: Write[T]) -> T:
    """Run several hand-written reads (a page's worth: they must stay small) as one snapshot. On SQLite,
    outside a transaction, they run right here on the event loop's thread, on a read-only connection of
    their own: the ORM's connection lives on a thread, and each trip there (a queue, a wake-up, the GIL
    handed over and back, the loop woken through its pipe) cost more than most of these reads, three to
    five times a request, and waited behind every write. WAL lets this connection read beside the writer
    and see each commit as soon as it is made. Inside a transaction they join it, to see its writes."""
    client = get_connection("default")
    reader = None if isinstance(client, TransactionalDBClient) else _reader(client)
    if reader is not None:
        try:
            reader.execute("BEGIN")
            try:
                return work(reader)
            finally:
                reader.execute("COMMIT")
        except Exception as exc:
            raise _translated(exc) from exc
    async with client.acquire_connection() as connection:
        try:
            return await connection._execute(work, connection._conn)
        except Exception as exc:
            raise _translated(exc) from exc


# the read-only connection of each SQLite client, with the thread it belongs to (sqlite3 refuses others)
_readers: weakref.WeakKeyDictionary[BaseDBAsyncClient, tuple[int, sqlite3.Connection]] = weakref.WeakKeyDictionary()
READER_PRAGMAS = ("PRAGMA query_only=ON", "PRAGMA busy_timeout=5000", "PRAGMA temp_store=MEMORY",
                  "PRAGMA cache_size=-16000")


def _reader(client: BaseDBAsyncClient) -> sqlite3.Connection | None:
    """The read-only connection for `client` on this thread (made on first use), or None: not SQLite, an
    in-memory database (another connection would see another database), or another thread."""
    found = _readers.get(client)
    if found is not None:
        return found[1] if found[0] == threading.get_ident() else None
    filename = getattr(client, "filename", None)
    if client.capabilities.dialect != "sqlite" or not filename or filename == ":memory:":
        return None
    connection = sqlite3.connect(filename, isolation_level=None, cached_statements=256)
    connection.row_factory = sqlite3.Row
    for pragma in READER_PRAGMAS:
        connection.execute(pragma)
    _readers[client] = (threading.get_ident(), connection)
    return connection


def close_reader(client: BaseDBAsyncClient) -> None:
    found = _readers.pop(client, None)
    if found is not None:
        found[1].close()


_PLANS: dict[type[Model], tuple[tuple[str, str, Any], ...]] = {}


def _plan(model: type[Model]) -> tuple[tuple[str, str, Any], ...]:
    """(column, attribute, conversion) for each field, as `_init_from_db` converts them: native fields as
    the driver gives them, plain ones through their type, the rest through `to_python_value`, except that
    datetimes are parsed with `datetime.fromisoformat` (tortoise's iso8601 parser was most of a wide row's
    hydration cost) and put in the configured time zone the way the field does it."""
    from datetime import datetime

    from tortoise import timezone
    from tortoise.fields import DatetimeField

    def moment(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        elif not isinstance(value, datetime):  # a timestamp, as the field reads one
            value = datetime.fromtimestamp(value)
        if timezone.get_use_tz():
            return timezone.make_aware(value) if value.utcoffset() is None else value.astimezone(
                timezone.get_default_timezone())
        return value.replace(tzinfo=None) if value.utcoffset() is not None else value

    meta = model._meta
    plan: list[tuple[str, str, Any]] = [(key, name, None) for key, name, _ in meta.db_native_fields]
    for key, name, field in meta.db_default_fields:
        plan.append((key, name, field.field_type))
    for key, name, field in meta.db_complex_fields:
        if isinstance(field, DatetimeField):
            plan.append((key, name, moment))
        else:
            plan.append((key, name, ("complex", field.to_python_value)))
    return tuple(plan)


def from_row(model: type[Any], row: sqlite3.Row | dict[str, Any]) -> Any:
    """A model instance from a hand-written SQLite read, the same as `_init_from_db` makes it from the
    ORM's own reads, in about half the time: the tray and the timelines hydrate hundreds of rows a request."""
    plan = _PLANS.get(model)
    if plan is None:
        plan = _PLANS[model] = _plan(model)
    values = row if isinstance(row, dict) else dict(row)
    if any(key not in values for key, _, _ in plan):  # a partial read: the ORM's own (slower) path
        return model._init_from_db(**values)
    instance = model.__new__(model)
    setter = object.__setattr__  # as _init_from_db does: past Model.__setattr__
    setter(instance, "_partial", False)
    setter(instance, "_saved_in_db", True)
    setter(instance, "_custom_generated_pk", model._meta.db_pk_column not in model._meta.generated_db_fields)
    setter(instance, "_await_when_save", {})
    for key, name, convert in plan:
        value = values[key]
        if convert is None:
            pass
        elif type(convert) is tuple:
            value = convert[1](value)
        elif value is not None:
            value = convert(value)
        setter(instance, name, value)
    return instance


# (model, the cursor's column names) -> (attribute of each column, (position, conversion) of those that
# convert, the fixed attributes every loaded instance starts with)
_POSITIONAL: dict[tuple[type[Model], tuple[str, ...]], tuple[tuple[str, ...], tuple[tuple[int, Any], ...],
                                                             dict[str, Any]]] = {}


def hydrate(model: type[Any], cursor: sqlite3.Cursor) -> list[Any]:
    """Model instances from a hand-written `SELECT *` (every column of the model's table, in any order),
    as `from_row` makes them, in about half its time: the row is read by position (a `sqlite3.Row` turned
    into a dict compares every column name case-insensitively) and the instance's attributes are set in one
    `__dict__.update`. A timeline page hydrates some 40 statuses and authors, about a third of its CPU."""
    return instances(model, tuple(column[0] for column in cursor.description), cursor)


def instances(model: type[Any], names: tuple[str, ...], rows: Iterable[Sequence[Any]]) -> list[Any]:
    """`hydrate` for rows already read: `names` are the columns of each row, every one of the model's."""
    shape = _POSITIONAL.get((model, names))
    if shape is None:
        plan = _PLANS.get(model)
        if plan is None:
            plan = _PLANS[model] = _plan(model)
        by_column = {key: (name, convert) for key, name, convert in plan}
        if set(names) != set(by_column) or len(names) != len(by_column):
            raise ValueError(f"hydrate({model.__name__}) needs exactly the table's columns, got {names}")
        shape = _POSITIONAL[(model, names)] = (
            tuple(by_column[key][0] for key in names),
            tuple((i, by_column[key][1]) for i, key in enumerate(names) if by_column[key][1] is not None),
            {"_partial": False, "_saved_in_db": True,
             "_custom_generated_pk": model._meta.db_pk_column not in model._meta.generated_db_fields},
        )
    attributes, conversions, fixed = shape
    new = model.__new__
    made = []
    for row in rows:
        values = list(row)
        for i, convert in conversions:
            value = values[i]
            if type(convert) is tuple:
                values[i] = convert[1](value)
            elif value is not None:
                values[i] = convert(value)
        instance = new(model)
        state = instance.__dict__  # as _init_from_db sets them: past Model.__setattr__
        state.update(fixed)
        state["_await_when_save"] = {}
        state.update(zip(attributes, values, strict=True))
        made.append(instance)
    return made


_FIELD_NAMES: dict[tuple[type[Model], tuple[str, ...]], tuple[str, ...]] = {}
_READERS: dict[tuple[type[Model], tuple[str, ...]], Callable[[dict[str, Any]], tuple[Any, ...]]] = {}
_ABSENT = object()  # a column a partial read left out


def column_values(instance: Model, leave_out: tuple[str, ...] = ()) -> tuple[Any, ...]:
    """Every column's value of a loaded instance (but `leave_out`), in a fixed order: what a rendering made
    from the instance can be checked against to tell whether it still holds (node/api/entities/common.py)."""
    model = type(instance)
    reader = _READERS.get((model, leave_out))
    if reader is None:
        plan = _PLANS.get(model)
        if plan is None:
            plan = _PLANS[model] = _plan(model)
        names = _FIELD_NAMES[(model, leave_out)] = tuple(sorted(name for _, name, _ in plan if name not in leave_out))
        getter = operator.itemgetter(*names)
        reader = _READERS[(model, leave_out)] = getter if len(names) > 1 else (lambda state: (getter(state),))
    try:
        return reader(instance.__dict__)  # type: ignore[return-value]
    except KeyError:  # a partial read: what it has
        state = instance.__dict__
        return tuple([state.get(name, _ABSENT) for name in _FIELD_NAMES[(model, leave_out)]])
