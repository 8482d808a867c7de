#!/usr/bin/env bash

#SBATCH -J dask-worker
#SBATCH -p long
#SBATCH -A acct1
#SBATCH -n 1
#SBATCH --cpus-per-task=4
#SBATCH --mem=60G
#SBATCH -t 12:00:00
#SBATCH --qos=high
#SBATCH --constraint=avx2
source /etc/profile.d/site.sh
#SBATCH --output=~/.remote-http-launcher/server/daskserver-mslurm-rw-m.log-%j.out
#SBATCH --error=~/.remote-http-launcher/server/daskserver-mslurm-rw-m.log-%j.err
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
export PYTHON_CPU_COUNT=$SLURM_JOB_CPUS_PER_NODE
python -m distributed.cli.dask_worker tcp://127.0.0.1:SCHEDULER_PORT --name dummy-name --nthreads 2 --memory-limit 29.80GiB --nworkers 2 --nanny --death-timeout 60 --local-directory /local/tmp --nthreads 6 --worker-port=61000:61099 --nanny-port=61000:61099 --name worker-$SLURM_JOB_ID
