-- A database as data-model version 1 left it, written by the version 1 build (before
-- internal/schema existed): no schema_meta table, PRAGMA user_version = 1. It is frozen: the
-- migration tests upgrade it and compare the result with a database created at the current
-- version, so an edit to the version 1 DDL in schema.go that was not made as a migration fails.
--
-- Made by opening a fresh store with that build, writing two projects (one without keys), a
-- channel, two checks and pings with a text body, a binary body and no body, marking two flips
-- processed, then `sqlite3 overdue.db .dump`.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE projects (
		id                 TEXT PRIMARY KEY,
		name               TEXT NOT NULL,
		created            INTEGER NOT NULL,
		api_key_hash       TEXT UNIQUE,
		read_only_key_hash TEXT UNIQUE,
		ping_key_hash      TEXT UNIQUE,
		badge_key          TEXT NOT NULL
	) STRICT;
INSERT INTO projects VALUES('a0000000-0000-4000-8000-000000000001','Ops',1795550400000000,'79f3d57c9f4aeb69df3fa40882ac40d381525f6bd1d580b19dc4aa03589625e2','83ab25f615bf2d73aacc9a16c6e8654de9fbb6a150b8319d70e691274f464796','e687f35bc37fb1e0c0f55eafb782d589ce5b7dcdcd2a1a107cd86ae273409a46','badge-project-1');
INSERT INTO projects VALUES('a0000000-0000-4000-8000-000000000002','Keyless',1795550460000000,NULL,NULL,NULL,'badge-project-2');
CREATE TABLE checks (
		id                  TEXT PRIMARY KEY,
		project_id          TEXT NOT NULL REFERENCES projects (id),
		name                TEXT NOT NULL,
		slug                TEXT NOT NULL,
		tags                TEXT NOT NULL,
		description         TEXT NOT NULL,
		created             INTEGER NOT NULL,
		kind                TEXT NOT NULL,
		timeout             INTEGER NOT NULL,
		schedule            TEXT NOT NULL,
		tz                  TEXT NOT NULL,
		grace               INTEGER NOT NULL,
		methods             TEXT NOT NULL,
		manual_resume       INTEGER NOT NULL,
		start_kw            TEXT NOT NULL,
		success_kw          TEXT NOT NULL,
		failure_kw          TEXT NOT NULL,
		filter_subject      INTEGER NOT NULL,
		filter_body         INTEGER NOT NULL,
		filter_http_body    INTEGER NOT NULL,
		filter_default_fail INTEGER NOT NULL,
		badge_key           TEXT NOT NULL,
		status              TEXT NOT NULL,
		n_pings             INTEGER NOT NULL,
		last_ping           INTEGER,
		last_start          INTEGER,
		last_start_rid      TEXT NOT NULL,
		last_duration       INTEGER NOT NULL,
		alert_after         INTEGER
	) STRICT;
INSERT INTO checks VALUES('c0000000-0000-4000-8000-000000000001','a0000000-0000-4000-8000-000000000001','backup','backup','prod db','nightly',1795550400000000,'simple',86400000000000,'* * * * *','UTC',3600000000000,'',0,'','','',0,0,0,0,'badge-check-1','up',4,1795726800000000,NULL,'',0,1795816800000000);
INSERT INTO checks VALUES('c0000000-0000-4000-8000-000000000002','a0000000-0000-4000-8000-000000000001','hourly','hourly','','',1795550401000000,'simple',86400000000000,'* * * * *','UTC',3600000000000,'',0,'','','',0,0,0,0,'badge-check-2','up',1,1795557600000000,NULL,'',0,1795647600000000);
CREATE TABLE check_channels (
		check_id   TEXT NOT NULL REFERENCES checks (id) ON DELETE CASCADE,
		position   INTEGER NOT NULL,
		channel_id TEXT NOT NULL,
		PRIMARY KEY (check_id, position)
	) STRICT, WITHOUT ROWID;
INSERT INTO check_channels VALUES('c0000000-0000-4000-8000-000000000001',0,'e0000000-0000-4000-8000-000000000001');
CREATE TABLE pings (
		check_id    TEXT NOT NULL REFERENCES checks (id) ON DELETE CASCADE,
		n           INTEGER NOT NULL,
		created     INTEGER NOT NULL,
		kind        TEXT NOT NULL,
		scheme      TEXT NOT NULL,
		remote_addr TEXT NOT NULL,
		method      TEXT NOT NULL,
		ua          TEXT NOT NULL,
		body        BLOB,
		exit_status INTEGER,
		rid         TEXT NOT NULL,
		PRIMARY KEY (check_id, n)
	) STRICT;
INSERT INTO pings VALUES('c0000000-0000-4000-8000-000000000001',1,1795554000000000,'start','https','192.0.2.1','POST','runitor/1.2',NULL,NULL,'0f2c8a9e-7b1d-4c3e-9a5f-1d2e3f4a5b6c');
INSERT INTO pings VALUES('c0000000-0000-4000-8000-000000000001',2,1795554042000000,'success','https','192.0.2.1','POST','runitor/1.2',X'6261636b75702066696e69736865643a2034322066696c65732c20312e32204742',NULL,'0f2c8a9e-7b1d-4c3e-9a5f-1d2e3f4a5b6c');
INSERT INTO pings VALUES('c0000000-0000-4000-8000-000000000001',3,1795640400000000,'fail','https','192.0.2.1','POST','curl/8.5.0',X'fffe000178',2,'');
INSERT INTO pings VALUES('c0000000-0000-4000-8000-000000000001',4,1795726800000000,'success','http','2001:db8::1','GET','',NULL,NULL,'');
INSERT INTO pings VALUES('c0000000-0000-4000-8000-000000000002',1,1795557600000000,'success','https','192.0.2.9','HEAD','curl/8.5.0',NULL,NULL,'');
CREATE TABLE flips (
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		check_id   TEXT NOT NULL REFERENCES checks (id) ON DELETE CASCADE,
		created    INTEGER NOT NULL,
		processed  INTEGER,
		old_status TEXT NOT NULL,
		new_status TEXT NOT NULL,
		reason     TEXT NOT NULL
	) STRICT;
INSERT INTO flips VALUES(1,'c0000000-0000-4000-8000-000000000001',1795554042000000,1795730400000000,'new','up','');
INSERT INTO flips VALUES(2,'c0000000-0000-4000-8000-000000000001',1795640400000000,1795730400000000,'up','down','fail');
INSERT INTO flips VALUES(3,'c0000000-0000-4000-8000-000000000001',1795726800000000,NULL,'down','up','');
INSERT INTO flips VALUES(4,'c0000000-0000-4000-8000-000000000002',1795557600000000,NULL,'new','up','');
CREATE TABLE channels (
		id         TEXT PRIMARY KEY,
		project_id TEXT NOT NULL REFERENCES projects (id),
		kind       TEXT NOT NULL,
		name       TEXT NOT NULL,
		value      TEXT NOT NULL,
		created    INTEGER NOT NULL,
		disabled   INTEGER NOT NULL,
		last_error TEXT NOT NULL
	) STRICT;
INSERT INTO channels VALUES('e0000000-0000-4000-8000-000000000001','a0000000-0000-4000-8000-000000000001','email','ops@example.org','ops@example.org',1795550400000000,0,'');
DELETE FROM sqlite_sequence;
INSERT INTO sqlite_sequence VALUES('flips',4);
CREATE INDEX checks_project ON checks (project_id, created);
CREATE INDEX checks_slug ON checks (project_id, slug, created);
CREATE INDEX checks_due ON checks (alert_after) WHERE alert_after IS NOT NULL;
CREATE INDEX check_channels_channel ON check_channels (channel_id);
CREATE INDEX flips_check ON flips (check_id, created);
CREATE INDEX flips_unprocessed ON flips (created, id) WHERE processed IS NULL;
CREATE INDEX channels_project ON channels (project_id, created);
COMMIT;
PRAGMA user_version = 1;
