#!/bin/sh
# The container's start: migrate the database, load the demo only when asked (EDRM_DEMO=1),
# then serve. Secrets come from the environment or from files (EDRM_SECRET_KEY_FILE,
# EDRM_DATABASE_URL_FILE, EDRM_ELASTICSEARCH_URL_FILE …: see edrm/settings.py).
set -eu
edrm init
if [ "${EDRM_DEMO:-0}" = "1" ]; then
    edrm demo
fi
exec edrm serve --host 0.0.0.0 --port 5000
