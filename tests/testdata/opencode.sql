-- An OpenCode database (~/.local/share/opencode/opencode.db) in OpenCode's schema, cut to the
-- tables and columns cost-ops reads: tests/cli_test.cc and tests/store_test.cc make it with
-- SQLite. Sessions: ses_a (a build session), ses_b (its sub-agent's), ses_f (a fork of ses_a,
-- which copies its messages under new ids).
CREATE TABLE project (id text PRIMARY KEY, worktree text NOT NULL, time_created integer NOT NULL,
                      time_updated integer NOT NULL);
CREATE TABLE session (id text PRIMARY KEY, project_id text NOT NULL REFERENCES project(id),
                      parent_id text, slug text NOT NULL, directory text NOT NULL,
                      title text NOT NULL, version text NOT NULL, time_created integer NOT NULL,
                      time_updated integer NOT NULL);
CREATE TABLE message (id text PRIMARY KEY, session_id text NOT NULL REFERENCES session(id),
                      time_created integer NOT NULL, time_updated integer NOT NULL,
                      data text NOT NULL);
CREATE TABLE part (id text PRIMARY KEY, message_id text NOT NULL REFERENCES message(id),
                   session_id text NOT NULL, time_created integer NOT NULL,
                   time_updated integer NOT NULL, data text NOT NULL);
CREATE INDEX part_message_id_id_idx ON part (message_id, id);
INSERT INTO project VALUES ('p1', '/home/dev/shop', 1764000000000, 1764000000000);
INSERT INTO session VALUES ('ses_a', 'p1', NULL, 'calm-owl', '/home/dev/shop', 'Fix the cart', '1.3.2', 1764000000000, 1764000300000);
INSERT INTO session VALUES ('ses_b', 'p1', 'ses_a', 'bold-fox', '/home/dev/shop', 'Find the tests (@general subagent)', '1.3.2', 1764000170000, 1764000190000);
INSERT INTO session VALUES ('ses_f', 'p1', NULL, 'calm-owl-2', '/home/dev/shop', 'Fix the cart (fork #1)', '1.3.2', 1764000400000, 1764000400000);
-- A user's message: no call.
INSERT INTO message VALUES ('msg_001', 'ses_a', 1763999999000, 1763999999000, '{"role":"user","time":{"created":1763999999000},"agent":"build","model":{"providerID":"anthropic","modelID":"claude-sonnet-4-5"}}');
-- Two steps (two calls); the message's own tokens are its last step's.
INSERT INTO message VALUES ('msg_002', 'ses_a', 1764000000000, 1764000030000, '{"role":"assistant","time":{"created":1764000000000,"completed":1764000030000},"parentID":"msg_001","modelID":"claude-sonnet-4-5","providerID":"anthropic","mode":"build","agent":"build","path":{"cwd":"/home/dev/shop","root":"/home/dev/shop"},"cost":0.01857,"tokens":{"total":7425,"input":5,"output":120,"reasoning":0,"cache":{"read":7000,"write":300}},"finish":"stop"}');
INSERT INTO part VALUES ('prt_001', 'msg_002', 'ses_a', 1764000001000, 1764000001000, '{"type":"step-start","snapshot":"a1"}');
INSERT INTO part VALUES ('prt_002', 'msg_002', 'ses_a', 1764000002000, 1764000002000, '{"type":"text","text":"A step-finish part holds the usage"}');
INSERT INTO part VALUES ('prt_003', 'msg_002', 'ses_a', 1764000010000, 1764000010000, '{"type":"step-finish","reason":"tool-calls","snapshot":"a2","cost":0.01353,"tokens":{"total":7310,"input":10,"output":300,"reasoning":0,"cache":{"read":5000,"write":2000}}}');
INSERT INTO part VALUES ('prt_004', 'msg_002', 'ses_a', 1764000030000, 1764000030000, '{"type":"step-finish","reason":"stop","snapshot":"a3","cost":0.00504,"tokens":{"total":7425,"input":5,"output":120,"reasoning":0,"cache":{"read":7000,"write":300}}}');
-- AI SDK 6: the output leaves the reasoning out, and the total sums them.
INSERT INTO message VALUES ('msg_003', 'ses_a', 1764000060000, 1764000090000, '{"role":"assistant","time":{"created":1764000060000},"modelID":"gpt-5","providerID":"openai","agent":"plan","path":{"cwd":"/home/dev/shop","root":"/home/dev/shop"},"cost":0.01375,"tokens":{"total":6200,"input":1000,"output":500,"reasoning":700,"cache":{"read":4000,"write":0}}}');
INSERT INTO part VALUES ('prt_005', 'msg_003', 'ses_a', 1764000090000, 1764000090000, '{"type":"step-finish","reason":"stop","cost":0.01375,"tokens":{"total":6200,"input":1000,"output":500,"reasoning":700,"cache":{"read":4000,"write":0}}}');
-- An older version's message (migrated from its JSON files): no step parts, no total, the
-- output holding the reasoning.
INSERT INTO message VALUES ('msg_004', 'ses_a', 1764000120000, 1764000150000, '{"role":"assistant","time":{"created":1764000120000},"modelID":"gpt-5","providerID":"openai","mode":"build","path":{"cwd":"/home/dev/shop","root":"/home/dev/shop"},"cost":0.02075,"tokens":{"input":1000,"output":1200,"reasoning":700,"cache":{"read":4000,"write":0}}}');
-- A sub-agent's call to Gemini, as AI SDK 5 read it: thoughts apart from the output.
INSERT INTO message VALUES ('msg_005', 'ses_b', 1764000180000, 1764000185000, '{"role":"assistant","time":{"created":1764000180000},"modelID":"gemini-2.5-flash","providerID":"google","mode":"general","path":{"cwd":"/home/dev/shop/tests","root":"/home/dev/shop"},"cost":0.00135,"tokens":{"input":2000,"output":200,"reasoning":100,"cache":{"read":0,"write":0}}}');
-- A reply that failed before its response: no usage.
INSERT INTO message VALUES ('msg_006', 'ses_a', 1764000200000, 1764000200000, '{"role":"assistant","time":{"created":1764000200000},"modelID":"gpt-5","providerID":"openai","agent":"build","path":{"cwd":"/home/dev/shop","root":"/home/dev/shop"},"cost":0,"tokens":{"input":0,"output":0,"reasoning":0,"cache":{"read":0,"write":0}},"error":{"name":"APIError","data":{"message":"overloaded"}}}');
-- GitHub Copilot serves the model: its name tells the provider.
INSERT INTO message VALUES ('msg_007', 'ses_a', 1764000240000, 1764000250000, '{"role":"assistant","time":{"created":1764000240000},"modelID":"gpt-4.1","providerID":"github-copilot","agent":"build","path":{"cwd":"/home/dev/shop","root":"/home/dev/shop"},"cost":0,"tokens":{"total":1100,"input":1000,"output":100,"reasoning":0,"cache":{"read":0,"write":0}}}');
INSERT INTO part VALUES ('prt_006', 'msg_007', 'ses_a', 1764000250000, 1764000250000, '{"type":"step-finish","reason":"stop","cost":0,"tokens":{"total":1100,"input":1000,"output":100,"reasoning":0,"cache":{"read":0,"write":0}}}');
-- Bad input: a count that is no number; data that is no JSON.
INSERT INTO message VALUES ('msg_008', 'ses_a', 1764000300000, 1764000300000, '{"role":"assistant","time":{"created":1764000300000},"modelID":"gpt-5","providerID":"openai","agent":"build","tokens":{"input":1,"output":1,"reasoning":0,"cache":{"read":0,"write":0}}}');
INSERT INTO part VALUES ('prt_007', 'msg_008', 'ses_a', 1764000300000, 1764000300000, '{"type":"step-finish","reason":"stop","cost":0,"tokens":{"input":"many","output":1,"reasoning":0,"cache":{"read":0,"write":0}}}');
INSERT INTO message VALUES ('msg_009', 'ses_a', 1764000310000, 1764000310000, '{"role":"assistant","time":');
-- The fork's copy of msg_001 and msg_002, under new ids, with its usage and time.
INSERT INTO message VALUES ('msg_101', 'ses_f', 1764000400000, 1764000400000, '{"role":"user","time":{"created":1763999999000},"agent":"build","model":{"providerID":"anthropic","modelID":"claude-sonnet-4-5"}}');
INSERT INTO message VALUES ('msg_102', 'ses_f', 1764000400000, 1764000400000, '{"role":"assistant","time":{"created":1764000000000,"completed":1764000030000},"parentID":"msg_101","modelID":"claude-sonnet-4-5","providerID":"anthropic","mode":"build","agent":"build","path":{"cwd":"/home/dev/shop","root":"/home/dev/shop"},"cost":0.01857,"tokens":{"total":7425,"input":5,"output":120,"reasoning":0,"cache":{"read":7000,"write":300}},"finish":"stop"}');
INSERT INTO part VALUES ('prt_101', 'msg_102', 'ses_f', 1764000400000, 1764000400000, '{"type":"step-finish","reason":"tool-calls","snapshot":"a2","cost":0.01353,"tokens":{"total":7310,"input":10,"output":300,"reasoning":0,"cache":{"read":5000,"write":2000}}}');
INSERT INTO part VALUES ('prt_102', 'msg_102', 'ses_f', 1764000400000, 1764000400000, '{"type":"step-finish","reason":"stop","snapshot":"a3","cost":0.00504,"tokens":{"total":7425,"input":5,"output":120,"reasoning":0,"cache":{"read":7000,"write":300}}}');
