#!/usr/bin/env bash

#SBATCH -J dask-worker
#SBATCH -A acct9
#SBATCH -n 1
#SBATCH --cpus-per-task=1
#SBATCH --mem=15G
#SBATCH -t 02:00:00
#SBATCH --exclusive
#SBATCH --output=~/.remote-http-launcher/server/pure-daskserver-mslurm-chain2.log-%j.out
#SBATCH --error=~/.remote-http-launcher/server/pure-daskserver-mslurm-chain2.log-%j.err
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
export PYTHON_CPU_COUNT=$SLURM_JOB_CPUS_PER_NODE
export SLURM_CPUS_PER_TASK=$SLURM_JOB_CPUS_PER_NODE
export DASK_DISTRIBUTED__NANNY__ENVIRON="{\"OMP_NUM_THREADS\":\"${SLURM_JOB_CPUS_PER_NODE}\",\"MKL_NUM_THREADS\":\"${SLURM_JOB_CPUS_PER_NODE}\",\"OPENBLAS_NUM_THREADS\":\"${SLURM_JOB_CPUS_PER_NODE}\"}"
python -m distributed.cli.dask_worker tcp://127.0.0.1:SCHEDULER_PORT --name dummy-name --nthreads 1 --memory-limit 14.90GiB --nanny --death-timeout 60 --local-directory /scratch/dask --nthreads 1 --worker-port=61000:61099 --nanny-port=61000:61099 --name worker-$SLURM_JOB_ID
