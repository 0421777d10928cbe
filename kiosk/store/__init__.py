"""SQLite through sqlite-utils: the schema and its migrations, queries, and the append-only log."""
