#!/usr/bin/env bash

#OAR -n dask-worker
#OAR -q long
#OAR --project acct1
#OAR -l /nodes=1/core=4,walltime=12:00:00
#OAR -t besteffort
#OAR -p memcore>=15259
source /etc/profile.d/site.sh
#OAR --stdout=~/.remote-http-launcher/server/daskserver-moar-rw-m.log-%jobid%.out
#OAR --stderr=~/.remote-http-launcher/server/daskserver-moar-rw-m.log-%jobid%.err
export SEAMLESS_DASK_QUEUE_EXCLUSIVE=0
export SEAMLESS_DASK_RECORD_MODE=0
export DASK_DISTRIBUTED__WORKER__DAEMON=False
export DASK_DISTRIBUTED__SCHEDULER__UNKNOWN_TASK_DURATION=2m
export DASK_DISTRIBUTED__SCHEDULER__TARGET_DURATION=20m
export DASK_DISTRIBUTED__WORKER__PORT=61000:61099
export DASK_DISTRIBUTED__NANNY__PORT=61000:61099
export DASK_DISTRIBUTED__WORKER__LIFETIME__STAGGER=10m
export DASK_DISTRIBUTED__WORKER__LIFETIME__DURATION=11h
export DASK_DISTRIBUTED__WORKER__RESOURCES='{"MEM": 64}'
export DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=5
python -m distributed.cli.dask_worker tcp://127.0.0.1:SCHEDULER_PORT --name dummy-name --nthreads 2 --memory-limit 29.80GiB --nworkers 2 --nanny --death-timeout 60 --local-directory /local/tmp --nthreads 6 --worker-port=61000:61099 --nanny-port=61000:61099
