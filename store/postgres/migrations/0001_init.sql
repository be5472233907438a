-- The first schema: requests with the columns their lookups need, the audit
-- trail, and the counter that numbers it.
--
-- Times that are compared or sorted are unix nanoseconds (bigint), not
-- timestamptz: timestamptz keeps microseconds, and the store must order and
-- compare Go times exactly as bbolt does (a grant due one nanosecond after a
-- sweep is not due in it). Out-of-range times are clamped by the store.
-- Ids sort bytewise (COLLATE "C") like bbolt's keys.
--
-- Requests and events are stored as json, not jsonb: jsonb refuses the
-- escape \u0000, which free text typed by a person (a reason) may hold, and
-- the store never looks inside them; the columns beside them are what the
-- lookups use. json keeps the exact text the store wrote.

CREATE TABLE requests (
	id         text COLLATE "C" PRIMARY KEY,
	requester  text COLLATE "C" NOT NULL, -- Slack id
	created_ns bigint NOT NULL,
	open       boolean NOT NULL,          -- not in a final state
	due_ns     bigint,                    -- NULL: nothing to do
	data       json NOT NULL              -- the access.Request
);

-- ListByRequester, newest first.
CREATE INDEX requests_by_requester ON requests (requester, created_ns, id);
-- ListOpen: only open requests are in it.
CREATE INDEX requests_open ON requests (id) WHERE open;
-- ListDue and NextDue seek here; requests with nothing due are not in it,
-- so a sweep with nothing due reads one entry however many are stored.
CREATE INDEX requests_due ON requests (due_ns, id) WHERE due_ns IS NOT NULL;

CREATE TABLE events (
	seq           bigint PRIMARY KEY,
	time_ns       bigint NOT NULL,
	resource_id   text NOT NULL,
	actor_email   text NOT NULL, -- lower case, for EventFilter.Email; see filterText
	subject_email text NOT NULL,
	data          json NOT NULL -- the access.Event, its seq in the column
);

CREATE INDEX events_time ON events (time_ns);
CREATE INDEX events_resource ON events (resource_id, seq);
CREATE INDEX events_actor ON events (actor_email, seq);
CREATE INDEX events_subject ON events (subject_email, seq);

-- The last event number handed out. Updated in the transaction that inserts
-- the events, so a rollback gives the numbers back (a sequence would leave
-- gaps), and its row lock orders every writer: numbers commit in order.
CREATE TABLE event_counter (
	one      boolean PRIMARY KEY DEFAULT true CHECK (one),
	last_seq bigint NOT NULL
);
INSERT INTO event_counter (last_seq) VALUES (0);
