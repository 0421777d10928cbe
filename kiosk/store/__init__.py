"""SQLite: the door's plain SQL, sqlite-utils for tables and migrations, queries, and the append-only log."""
