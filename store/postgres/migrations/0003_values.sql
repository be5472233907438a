-- Small state of the background loops (Store.Value): the System Log
-- cursor the usage poller resumes from, what drift was reported.
CREATE TABLE kv_values (
	key   text COLLATE "C" PRIMARY KEY,
	value text NOT NULL
);
