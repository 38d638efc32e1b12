/* migrations.h -- the numbered schema migrations, embedded from migrations/NNNN_<what>.sql. */
#pragma once

typedef struct migration {
	int version;
	const char *name;
	const char *sql;
} migration_t;

/* In version order, ended by a row with name NULL. */
extern const migration_t migrations[];
