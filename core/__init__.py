"""Settings, the database engine and logging: the parts every process shares. Imports nothing of ours."""
