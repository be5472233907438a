-- Delegations: one per delegator (their Slack id), replaced by a new one.
-- Stored as json like requests; the store never looks inside.

CREATE TABLE delegations (
	delegator text COLLATE "C" PRIMARY KEY,
	data      json NOT NULL -- the access.Delegation
);
