"""Backup and restore: `edrm backup DEST` takes an online, consistent snapshot of a running
installation; `edrm restore SRC` puts it into an empty data directory.

What a backup holds (DEST):
- `blobs/ab/cd/<sha256>`: every blob the database snapshot refers to (the versions and
  previews of the documents not destroyed, and the content of unfinished ingest jobs), shared
  by successive backups into the same DEST;
- `snapshots/<time>/`, the backup's own files: `database/edrm.db` (SQLite, through the online
  backup API) or `database/edrm.pgdump` (PostgreSQL, `pg_dump` in the custom format, of one
  exported snapshot); `audit/checkpoints.log` (and the time-stamp tokens in `audit/tsa/`);
  `audit/keys.json` when the key file is in the data directory (kept elsewhere, it is not
  copied, and the backup says so: keep it with the backup yourself); `files/`: the session
  secret, classifier models and quarantine; `config/` when EDRM_CONFIG_DIR names a config folder
  (otherwise the manifest notes that the shipped defaults are in use);
- `manifest.json`: what was backed up (edrm version, schema revision, document count, time),
  which snapshot folder is this backup's, and the SHA-256 of every file in the backup.

Consistency. The steps run in this order: the checkpoint log is copied first (every checkpoint
in it names an entry already committed, so the snapshot has it); then the database snapshot;
then the audit key file (keys are only ever added, so it has every key the snapshot's entries
use); then the blobs the snapshot refers to. Blobs are content-addressed and never rewritten,
so a blob copied after the snapshot holds the bytes the snapshot names. Only destruction
deletes blobs: a blob the snapshot needs that is gone when it is copied was destroyed since the
snapshot (approved disposal running alongside) if the live database no longer uses it. It is
then listed in the manifest as `destroyed_since_snapshot`, and the documents that used it are
named on restore (running `edrm disposal execute` on the restored installation finishes that
disposal). If the live database still uses it, the blob store is damaged and the backup fails.

Crash story. The manifest is written last, atomically (a temporary file, fsynced, renamed into
place). A first backup killed midway leaves DEST without a manifest, and restore refuses such a
DEST. A later backup into the same DEST is incremental and writes its own files into a new
snapshot folder, only adding blobs, so until its manifest replaces the old one the earlier
backup stays whole and restorable; a killed one leaves the earlier backup as it was. Only after
the new manifest is in place are the earlier snapshot folder (and anything a killed backup left)
removed, and the blobs the new snapshot no longer refers to (destroyed records' content), so
destroyed content does not outlive its record in a rolling backup. Blobs already in DEST (their
name is their checksum) are not copied again.

Ingest jobs unfinished at the snapshot are in the backup with their content, so the workers of
the restored installation run them (a job claimed by a worker of the old one is requeued once
its heartbeat is stale).

Restore verifies the manifest and every file's checksum before it writes anything, refuses a
non-empty data directory (or a non-empty database), restores the database, blobs, keys and
checkpoints, then rebuilds the search index from the database (the index is never copied: it
is derived data, and rebuilding it is what `edrm search reindex` does).
"""
