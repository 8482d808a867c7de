#!/usr/bin/env bash

#OAR -n dask-worker
#OAR -l /nodes=1,walltime=02:00:00
#OAR -t besteffort
#OAR -p "host='n3'"
#OAR -p '"host='n3'" AND memcore>=15259'
#OAR --stdout=~/.remote-http-launcher/server/pure-daskserver-moar-excl-directives.log-%jobid%.out
#OAR --stderr=~/.remote-http-launcher/server/pure-daskserver-moar-excl-directives.log-%jobid%.err
export SEAMLESS_DASK_QUEUE_EXCLUSIVE=1
export SEAMLESS_DASK_RECORD_MODE=0
export DASK_DISTRIBUTED__WORKER__DAEMON=False
export DASK_DISTRIBUTED__SCHEDULER__UNKNOWN_TASK_DURATION=1m
export DASK_DISTRIBUTED__SCHEDULER__TARGET_DURATION=10m
export DASK_DISTRIBUTED__WORKER__PORT=61000:61099
export DASK_DISTRIBUTED__NANNY__PORT=61000:61099
export DASK_DISTRIBUTED__WORKER__LIFETIME__STAGGER=4m
export DASK_DISTRIBUTED__WORKER__LIFETIME__DURATION=6900s
export DASK_DISTRIBUTED__WORKER__RESOURCES='{"S": 1.0}'
python -m distributed.cli.dask_worker tcp://127.0.0.1:SCHEDULER_PORT --name dummy-name --nthreads 1 --memory-limit 14.90GiB --nanny --death-timeout 60 --local-directory /tmp --nthreads 1 --worker-port=61000:61099 --nanny-port=61000:61099
