#!/usr/bin/env bash

#PBS -N dask-worker
#PBS -q workq
#PBS -A acct7
#PBS -l select=1:ncpus=1:mem=7630MB
#PBS -l walltime=01:00:00
#PBS -l place=excl
export SEAMLESS_DASK_QUEUE_EXCLUSIVE=1
export SEAMLESS_DASK_RECORD_MODE=0
export DASK_DISTRIBUTED__WORKER__DAEMON=False
export DASK_DISTRIBUTED__SCHEDULER__UNKNOWN_TASK_DURATION=1m
export DASK_DISTRIBUTED__SCHEDULER__TARGET_DURATION=10m
export DASK_DISTRIBUTED__WORKER__PORT=62000:62099
export DASK_DISTRIBUTED__NANNY__PORT=62000:62099
export DASK_DISTRIBUTED__WORKER__LIFETIME__STAGGER=4m
export DASK_DISTRIBUTED__WORKER__LIFETIME__DURATION=3300s
export DASK_DISTRIBUTED__WORKER__RESOURCES='{"S": 1.0}'
python -m distributed.cli.dask_worker tcp://127.0.0.1:SCHEDULER_PORT --name dummy-name --nthreads 1 --memory-limit 7.45GiB --nanny --death-timeout 60 --local-directory /tmp --nthreads 1 --worker-port=62000:62099 --nanny-port=62000:62099
