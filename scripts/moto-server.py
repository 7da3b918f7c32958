"""moto_server with DynamoDB's atomicity: what scripts/with-moto.sh starts.

moto's server handles requests on threads, and its DynamoDB backend checks a condition and then
writes without a lock, so two conditional writes to one item that arrive together can both pass
(two "first" claims of a record, 49 stored pings after 50 acknowledged conditional updates).
DynamoDB itself never lets that happen, and the tests that race writers on purpose (the stores'
concurrency tests) failed now and then because of it.

This runs moto's own WSGI application, as moto_server does, with each DynamoDB (and DynamoDB
Streams) request applied whole before the next request on the same table starts: one lock per
table, taken for the tables a request names (TableName, a batch's RequestItems, a transaction's
items, a stream's ARN), in name order so two transactions cannot deadlock. Requests that name no
table or change the set of tables (ListTables, CreateTable, DeleteTable, PartiQL) take every
table: they wait for the tables' requests in flight and hold new ones back. Requests on different
tables run concurrently, as before (every test has its own table), and so do other services (SQS
long polls, SES, SNS).

Usage: python3 moto-server.py -H HOST -p PORT (the interpreter moto_server runs under).
"""

import argparse
import io
import json
import os
import signal
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

DYNAMODB = "DynamoDB_"
STREAMS = "DynamoDBStreams_"
# Operations that change or list the set of tables: they run alone.
WHOLE = {"CreateTable", "DeleteTable", "ListTables", "UpdateTable", "RestoreTableFromBackup",
         "RestoreTableToPointInTime", "ExecuteStatement", "BatchExecuteStatement",
         "ExecuteTransaction", "ImportTable", "ListStreams"}


class TableLocks:
    """A shared/exclusive lock over all tables plus one lock per table.

    A request on named tables holds "all" shared and its tables' locks; a whole-backend request
    holds "all" exclusively. Writers are preferred so a stream of table requests cannot starve
    a CreateTable.
    """

    def __init__(self):
        self.cond = threading.Condition()
        self.shared = 0
        self.exclusive = False
        self.waiting_exclusive = 0
        self.tables = {}

    def acquire(self, names):
        with self.cond:
            if names:
                while self.exclusive or self.waiting_exclusive:
                    self.cond.wait()
                self.shared += 1
                locks = [self.tables.setdefault(n, threading.Lock()) for n in sorted(set(names))]
            else:
                self.waiting_exclusive += 1
                while self.exclusive or self.shared:
                    self.cond.wait()
                self.waiting_exclusive -= 1
                self.exclusive = True
                locks = []
        for lock in locks:
            lock.acquire()
        return locks

    def release(self, locks):
        for lock in reversed(locks):
            lock.release()
        with self.cond:
            if locks:
                self.shared -= 1
            else:
                self.exclusive = False
            self.cond.notify_all()


def table_from_arn(arn):
    """The table name in a table or stream ARN (arn:aws:dynamodb:r:a:table/NAME[/stream/...])."""
    _, _, rest = arn.partition(":table/")
    return rest.split("/", 1)[0]


def tables_named(operation, body):
    """The tables a DynamoDB request names; empty when it must run alone."""
    if operation in WHOLE:
        return []
    names = []
    if isinstance(body.get("TableName"), str):
        names.append(body["TableName"])
    if isinstance(body.get("RequestItems"), dict):
        names.extend(body["RequestItems"].keys())
    for item in body.get("TransactItems") or []:
        for part in item.values():
            if isinstance(part, dict) and isinstance(part.get("TableName"), str):
                names.append(part["TableName"])
    # A shard iterator moto hands out starts with its stream's ARN.
    for key in ("StreamArn", "ShardIterator", "ResourceArn", "TableArn"):
        value = body.get(key)
        if isinstance(value, str) and ":table/" in value:
            names.append(table_from_arn(value))
    return [n for n in names if n]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()

    # with-moto.sh stops the server with SIGTERM; leave at once, whatever threads are running.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))

    app = DomainDispatcherApplication(create_backend_app)
    locks = TableLocks()

    def serial(environ, start_response):
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith((DYNAMODB, STREAMS)):
            return app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(raw)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        operation = target.split(".", 1)[-1]
        held = locks.acquire(tables_named(operation, body if isinstance(body, dict) else {}))
        try:
            # The whole answer inside the lock: the operation runs while the view does, and
            # the response body is read here, before the next request on the table starts.
            return [b"".join(app(environ, start_response))]
        finally:
            locks.release(held)

    run_simple(args.host, args.port, serial, threaded=True)


if __name__ == "__main__":
    main()
