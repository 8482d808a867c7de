#!/usr/bin/env bash

#OAR -n dask-worker
#OAR -l /nodes=1/core=8,walltime=02:00:00
#OAR -p memcore>=1908
#OAR --stdout=~/.remote-http-launcher/server/daskserver-moar-rw-m.log-%jobid%.out
#OAR --stderr=~/.remote-http-launcher/server/daskserver-moar-rw-m.log-%jobid%.err
export SEAMLESS_DASK_QUEUE_EXCLUSIVE=0
export SEAMLESS_DASK_RECORD_MODE=0
export SEAMLESS_WORKER_TRANSFORMATION_THROTTLE=3
export DASK_DISTRIBUTED__WORKER__DAEMON=False
export DASK_DISTRIBUTED__SCHEDULER__UNKNOWN_TASK_DURATION=1m
export DASK_DISTRIBUTED__SCHEDULER__TARGET_DURATION=10m
export DASK_DISTRIBUTED__WORKER__PORT=61000:61099
export DASK_DISTRIBUTED__NANNY__PORT=61000:61099
export DASK_DISTRIBUTED__WORKER__LIFETIME__STAGGER=4m
export DASK_DISTRIBUTED__WORKER__LIFETIME__DURATION=6900s
python -m distributed.cli.dask_worker tcp://127.0.0.1:SCHEDULER_PORT --name dummy-name --nthreads 8 --memory-limit 14.90GiB --nanny --death-timeout 60 --local-directory /tmp --nthreads 24 --worker-port=61000:61099 --nanny-port=61000:61099
