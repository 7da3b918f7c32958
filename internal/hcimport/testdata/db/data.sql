-- A small Healthchecks install: two people, two projects (one with the plain-text API keys of
-- older releases, one with hashed keys and no ping key yet), channels of kinds Overdue has and
-- one it lacks, three checks (simple and up, cron and paused, OnCalendar and new), pings with
-- bodies in the database and one in object storage (older pings trimmed, as Healthchecks
-- does), and flips. Values are made up.
INSERT INTO auth_user VALUES (1, '!unusable', NULL, 0, 'alice', '', 'alice@example.org', 0, 1, '2026-01-05 10:00:00', '');
INSERT INTO auth_user VALUES (2, 'pbkdf2_sha256$870000$salt$hash=', NULL, 0, 'bob', '', 'bob@example.org', 0, 1, '2026-01-06 10:00:00', '');

INSERT INTO accounts_project VALUES (1, '0c1d2e3f4a5b4c6d8e7f0a1b2c3d4e5f', 'Backups', 1, 'Kq8vR2mT5xW9zB3nF6hJ1pL4sD7gA0cE', 'Rt5yU8iO2pA4sD6fG9hJ1kL3zX7cV0bN', 'b4d9e1f2a3c5', 'pingkey0abcdefghijklm', 0);
INSERT INTO accounts_project VALUES (2, '1d2e3f4a5b6c4d7e8f9a0b1c2d3e4f5a', '', 1, 'AbCdEfGh.9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', '', 'c5e0f2a3b4d6', NULL, 0);
INSERT INTO accounts_member VALUES (1, 1, 2, NULL, 'r');

INSERT INTO api_channel VALUES (1, 'a0000000000040008000000000000001', '2026-01-05 10:05:00', 'email', '{"value": "alice@example.org", "up": true, "down": true}', 1, 1, 'Email Alice', '', 0, NULL, NULL);
INSERT INTO api_channel VALUES (2, 'a0000000000040008000000000000002', '2026-01-05 10:06:00', 'slack', 'https://hooks.slack.com/services/T000/B000/XXXXXXXX', 0, 1, 'Ops Slack', '', 0, NULL, NULL);
INSERT INTO api_channel VALUES (3, 'a0000000000040008000000000000003', '2026-01-05 10:07:00', 'apprise', 'mailto://ops@example.org', 0, 1, 'Apprise', '', 0, NULL, NULL);
INSERT INTO api_channel VALUES (4, 'a0000000000040008000000000000004', '2026-01-05 10:08:00', 'email', '{"value": "oncall@example.org", "up": false, "down": true}', 1, 1, '', '', 0, NULL, NULL);

-- Durations in microseconds: 86400 s, 3600 s, 300 s.
INSERT INTO api_check VALUES (1, 'Nightly backup', '5e2a7c1d3b4f4a6e9c8d7f6e5d4c3b2a', '2026-01-05 10:10:00.250000', 86400000000, '2026-11-24 20:08:55.123456', '2026-11-25 21:08:55.123456', 'up', 3600000000, 5, 'prod db', '* * * * *', 'UTC', 'simple', 'pg_dump to S3', NULL, 1, 1800000000, 0, 0, '', '', 0, 0, '', 'nightly-backup', '4b1f8a2c6d3e4f5a8b7c9d0e1f2a3b4c', '', 0, 0, NULL);
INSERT INTO api_check VALUES (2, 'Reports', '6f3b8d2e4c5a4b7f8d9e0a1b2c3d4e5f', '2026-01-05 10:11:00', 86400000000, '2026-11-20 02:30:01', NULL, 'paused', 300000000, 1, '', '30 2 * * 1-5', 'Europe/Riga', 'cron', '', NULL, 1, NULL, 0, 1, 'POST', 'error', 0, 0, 'ok,done', 'reports', '6c2e9b3d7e4f4a5b9c8d0e1f2a3b4c5d', 'begin', 1, 1, NULL);
INSERT INTO api_check VALUES (3, 'Weekday sync', '7a4c9e3f5d6b4c8a9e0f1b2c3d4e5f6a', '2026-02-01 08:00:00', 86400000000, NULL, NULL, 'new', 3600000000, 0, 'sync', 'Mon..Fri 09:00', 'UTC', 'oncalendar', '', NULL, 2, NULL, 0, 0, '', '', 0, 0, '', 'weekday-sync', '7d3f0c4e8f5a4b6c8d9e1f2a3b4c5d6e', '', 0, 0, NULL);

INSERT INTO api_channel_checks VALUES (1, 1, 1);
INSERT INTO api_channel_checks VALUES (2, 2, 1);
INSERT INTO api_channel_checks VALUES (3, 3, 1);
INSERT INTO api_channel_checks VALUES (4, 1, 2);

INSERT INTO api_ping VALUES (1, '2026-11-24 20:00:00.500000', 'https', '203.0.113.7', 'GET', 'curl/8.5.0', 1, 3, 'start', NULL, NULL, NULL, 'd1c2b3a4e5f64a7b8c9d0e1f2a3b4c5d');
INSERT INTO api_ping VALUES (2, '2026-11-24 20:05:00', 'https', '203.0.113.7', 'POST', 'curl/8.5.0', 1, 4, 'fail', 1, X'6469736b2066756c6c', 9, NULL);
INSERT INTO api_ping VALUES (3, '2026-11-24 20:08:55.123456', 'https', '2001:db8::1', 'POST', 'runitor/1.3', 1, 5, '', 0, NULL, 5000, 'd1c2b3a4e5f64a7b8c9d0e1f2a3b4c5d');
INSERT INTO api_ping VALUES (4, '2026-11-20 02:30:01', 'http', '198.51.100.4', 'POST', '', 2, 1, NULL, NULL, X'6f6b', 2, NULL);

INSERT INTO api_flip VALUES (1, '2026-11-23 20:07:00', '2026-11-23 20:07:02', 'new', 'up', 1, '');
INSERT INTO api_flip VALUES (2, '2026-11-24 20:05:00', '2026-11-24 20:05:01', 'up', 'down', 1, 'fail');
INSERT INTO api_flip VALUES (3, '2026-11-24 20:08:55.123456', NULL, 'down', 'up', 1, '');
INSERT INTO api_flip VALUES (4, '2026-11-21 09:00:00', '2026-11-21 09:00:00', 'up', 'paused', 2, '');
