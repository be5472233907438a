-- The pauses in force, one row per paused resource (access.Pause as json,
-- for the same reason as requests.data). Resuming deletes the row.

CREATE TABLE paused (
	resource_id text COLLATE "C" PRIMARY KEY,
	data        json NOT NULL
);
