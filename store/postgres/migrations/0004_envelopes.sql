-- Socket Mode envelopes claimed by a replica. Slack delivers each envelope
-- to one of the app's connections and may deliver it again, to another
-- connection, when it thinks an ack was lost; the replica that inserts the
-- id first handles it and the others only acknowledge it. Rows are pruned
-- after an hour (Slack retries within minutes).

CREATE TABLE envelopes (
	id      text COLLATE "C" PRIMARY KEY,
	seen_ns bigint NOT NULL
);

CREATE INDEX envelopes_by_time ON envelopes (seen_ns);
