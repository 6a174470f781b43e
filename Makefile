# The user's menu: `make help` lists every target.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
COMPOSE ?= docker compose

# .env (written by `make offline-images`, or by hand) also configures the Makefile.
-include .env
export

# Load-test workload (override on the command line: make load-test MODE=distributed JOBS=100).
KERNEL ?= primes
MODE ?= local
SIZE ?= 1000000
JOBS ?= 40
CONCURRENCY ?= 8
# make compare: topologies (fat, thin, hybrid; default all for the budget) x modes, on BUDGET CPUs.
BUDGET ?= $(shell nproc)
TOPOLOGIES ?=
MODES ?= local,distributed,hybrid
COMPARE_JOBS ?= 16
# make compare TASK=0.001: every job cut into tasks of about that many seconds (the cost model), as make
# sweep's points are; unset: the planner's own chunks.
TASK ?=
# Rounds of every cell in make compare, interleaved; the table shows the median and the range.
ROUNDS ?= 3
# make compare PIN=1: each topology also pinned to cores (cpuset, no quota), beside its quota cells.
PIN ?=
# make compare: rows in one container beside the ceiling (threads, processes, interpreters: the last on
# CPython 3.14, in the worker-py314 image the tools build; RUNTIMES= for none; add free-threaded for threads
# with no GIL on CPython 3.14t, whose base services/python314t/build.sh compiles from source first).
RUNTIMES ?= threads,processes,interpreters
# make compare: queue peers in containers of their own, on every topology's containers and quota, beside
# the ceiling (celery, dramatiq, dask; each adds a run per topology and round, so none by default).
PEERS ?=
REPORTS ?= reports
# make sweep: POINTS task durations from SHORTEST to LONGEST seconds (log-spaced), SWEEP_JOBS jobs per
# point and line, each point SWEEP_SECONDS long at the ceiling; SWEEP_LINES (local,distributed,hybrid,peer,
# and in one container, no queue, beside the ceiling: threads,processes,interpreters, and free-threaded when
# added).
POINTS ?= 7
SHORTEST ?= 0.001
LONGEST ?= 1
SWEEP_JOBS ?= 8
SWEEP_SECONDS ?= 4
SWEEP_LINES ?= local,distributed,hybrid,peer,threads,processes,interpreters
# make sweep AXIS=data: tasks of DATA_TASK seconds over one DATA_MIB MiB dataset, DATA_POINTS values of
# `work` from HEAVIEST down to 0 (CPU-heavy to I/O-heavy), at least DATA_JOBS jobs per point and line,
# beside a primes point of the same task size; each point SWEEP_SECONDS long at the ceiling; DATA_LINES.
AXIS ?= task
DATA_LINES ?= local,distributed,hybrid
DATA_POINTS ?= 5
DATA_TASK ?= 0.02
HEAVIEST ?= 16
# RQ consumers in the hybrid line's fat container, each with its own pool: 1 on the task axis (the pool
# waits while its consumer takes and finishes an entry: hybrid's own cost, shown); 2 on the data axis, so
# that one entry's read overlaps the other's tasks and the line measures the bytes (docs/GUIDE.md).
# Empty: 2 on the data axis, 1 on the task axis (decided in the recipe, so that a make run from another
# one, which inherits this file's variables through `export`, still decides it by its own AXIS).
HYBRID_CONSUMERS ?=
# RQ consumers in each thin container of the distributed and stock RQ lines (empty: 1).
DISTRIBUTED_CONSUMERS ?=
DATA_MIB ?= 8
DATA_JOBS ?= 4
# make bench: its flags, e.g. BENCH_ARGS="--quick", or "--fsync-jobs 1000 --fsync-rounds 7 --fsync-dir DIR"
# (figure 7, REDIS_APPENDFSYNC=always beside everysec, measured on the disk under DIR; default reports/).
BENCH_ARGS ?=
# make idle: seconds to watch the stack at rest.
IDLE_SECONDS ?= 30
# make chaos: kill-worker, kill-pool-process, restart-redis, stop-worker (comma-separated), or all.
FAULTS ?= all
# make chaos SCHEDULE=random: seeded random faults, overlapping, for DURATION s (600), SEED (1), RATE jobs/s
# (15); FAULTS then names the kinds dealt (e.g. kill-redis alone), or all.
SCHEDULE ?= fixed
# make soak: DURATION, seconds of load (1800; then it drains and checks every job).
# make load-test and make chaos: seconds to wait, saying so, for a ready worker before giving up.
WAIT_WORKERS ?= 60

.DEFAULT_GOAL := help
.PHONY: help venv env redis-password up down monitoring rq-dashboard logs ps workers-up workers-down swarm-up swarm-down k8s-secret k8s-render load-test compare sweep sweep-agree chaos soak bench idle results stats lab lab-container test test-unit test-integration test-e2e offline-images lint

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z0-9-]*:.*## / {printf "  \033[1m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV)/.installed: pyproject.toml requirements-dev.txt services/api/requirements.txt worker/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[api,worker,dev]'
	@touch $@

venv: $(VENV)/.installed ## Create .venv on the host with every dependency (tests, load tools)

env: ## Secrets in .env, generated unless set: REDIS_PASSWORD (else the stack makes one) and API_TOKEN; keeps other lines
	bash services/tools/secrets/ensure-env.sh .env

redis-password: ## Print the running stack's Redis password, on purpose (for workers on other hosts)
	@$(COMPOSE) exec -T redis cat /secrets/redis-password

up: ## Build and start the stack (it generates its Redis password), wait until healthy, print the URLs
	$(COMPOSE) up -d --wait --build
	@echo "API:      http://$${API_BIND:-127.0.0.1}:$${API_PORT:-8000}"
	@echo "API docs: http://$${API_BIND:-127.0.0.1}:$${API_PORT:-8000}/docs"
	@cpus=$${WORKER_CPUS:-1}; [[ $$cpus == 0 ]] && cpus="no CPU quota" || cpus="$$cpus CPU"; \
		echo "Workers:  $${WORKER_REPLICAS:-2} containers x $$cpus$${WORKER_CPUSET:+, pinned to cores $$WORKER_CPUSET}"

down: ## Stop the stack (with the optional profiles' services) and remove its containers and volumes
	$(COMPOSE) --profile monitoring --profile rq-dashboard --profile celery --profile dramatiq --profile dask down -v --remove-orphans

monitoring: ## Start the stack with Prometheus scraping GET /metrics every 15 s (profile monitoring)
	$(COMPOSE) --profile monitoring up -d --wait --build
	@echo "Prometheus: http://$${PROMETHEUS_BIND:-127.0.0.1}:$${PROMETHEUS_PORT:-9090}"

rq-dashboard: ## Start the stack with rq-dashboard, RQ's own view of our queues and workers (profile rq-dashboard)
	$(COMPOSE) --profile rq-dashboard up -d --wait --build
	@echo "rq-dashboard: http://$${RQ_DASHBOARD_BIND:-127.0.0.1}:$${RQ_DASHBOARD_PORT:-9181}"

logs: ## Follow the stack's logs
	$(COMPOSE) logs -f --tail=100

ps: ## Show the stack's containers and their health
	$(COMPOSE) ps

workers-up: ## Start workers only, joining the Redis at REDIS_URL (another host's stack; see README)
	$(COMPOSE) -f docker-compose.workers.yml up -d --wait --build

workers-down: ## Stop and remove the workers started by workers-up
	$(COMPOSE) -f docker-compose.workers.yml down --remove-orphans

swarm-up: venv ## Deploy the stack on Docker Swarm (swarm init if none; needs API_TOKEN)
	$(COMPOSE) build api worker
	$(PY) -m services.tools.swarm up

swarm-down: venv ## Remove the swarm stack, its secrets, network and data; leave a swarm swarm-up started
	$(PY) -m services.tools.swarm down

k8s-secret: ## Kubernetes: create the Secret deploy/k8s reads (Redis's password, API token) unless there
	bash deploy/k8s/secret.sh

k8s-render: ## Kubernetes: print deploy/k8s rendered (K8S=base, or keda: workers scaled by KEDA)
	kubectl kustomize deploy/k8s/$(or $(K8S),base)

load-test: venv ## Load the running stack (KERNEL MODE SIZE JOBS CONCURRENCY); CPU per container; reports/
	$(PY) -m services.tools.loadtest --kernel $(KERNEL) --mode $(MODE) --size $(SIZE) --jobs $(JOBS) \
		--concurrency $(CONCURRENCY) --reports $(REPORTS) --wait-workers $(WAIT_WORKERS)

compare: venv ## Same workload on each topology x mode, beside a bare-Pool ceiling, threads, ProcessPoolExecutor, subinterpreters (3.14) and stock RQ, ROUNDS rounds (PIN=1: also pinned; PEERS=celery,dramatiq,dask: those queues in containers; TASK=0.001: tasks of ~1 ms); reports/
	$(PY) -m services.tools.loadtest.compare --kernel $(KERNEL) --size $(SIZE) --jobs $(COMPARE_JOBS) \
		--concurrency $(CONCURRENCY) --budget $(BUDGET) --modes $(MODES) --rounds $(ROUNDS) --reports $(REPORTS) --runtimes=$(RUNTIMES) --peers=$(PEERS) $(if $(TOPOLOGIES),--topologies $(TOPOLOGIES)) $(if $(filter 1,$(PIN)),--pin) $(if $(TASK),--task $(TASK))

sweep: venv ## Task duration ~1 ms to ~1 s: % of a bare Pool per approach, where each falls behind (POINTS ROUNDS); AXIS=data: bytes per task instead (DATA_MIB DATA_POINTS HEAVIEST); reports/
	$(PY) -m services.tools.sweep --seconds $(SWEEP_SECONDS) --budget $(BUDGET) --rounds $(ROUNDS) --reports $(REPORTS) \
		$(if $(filter data,$(AXIS)),--axis data --points $(DATA_POINTS) --task $(DATA_TASK) --heaviest $(HEAVIEST) \
		--dataset-mib $(DATA_MIB) --jobs $(DATA_JOBS) --lines $(DATA_LINES),--points $(POINTS) --shortest $(SHORTEST) \
		--longest $(LONGEST) --jobs $(SWEEP_JOBS) --kernel $(KERNEL) --lines $(SWEEP_LINES)) --hybrid-consumers $(or $(HYBRID_CONSUMERS),$(if $(filter data,$(AXIS)),2,1)) \
		$(if $(DISTRIBUTED_CONSUMERS),--distributed-consumers $(DISTRIBUTED_CONSUMERS))

sweep-agree: venv ## The two newest make sweep reports side by side (AXIS=data: the data axis's): each line at each point, and how many agree within ±5 points
	$(PY) -m services.tools.sweep.agree --reports $(REPORTS) $(if $(filter data,$(AXIS)),--axis data)

chaos: venv ## Inject FAULTS mid-load (default all), or SCHEDULE=random DURATION=600 SEED=1: then the checker; reports/
	$(PY) -m services.tools.loadtest.chaos --faults $(FAULTS) --wait-workers $(WAIT_WORKERS) $(if $(filter random,$(SCHEDULE)),\
		--schedule random --duration $(or $(DURATION),600) --seed $(or $(SEED),1) --rate $(or $(RATE),15) --reports $(REPORTS))

soak: venv ## Load the running stack as fast as it accepts work for DURATION s (default 1800): memory over time, every 202 checked exact, no restart; reports/
	$(PY) -m services.tools.soak --duration $(or $(DURATION),1800) --reports $(REPORTS) --wait-workers $(WAIT_WORKERS)

bench: venv ## Benchmarks on host processes (no Docker): per-job cost and efficiency beside Celery and Dramatiq, aggregation, enqueue
	$(PY) -m services.tools.bench --reports $(REPORTS) $(BENCH_ARGS)

results: venv ## Regenerate docs/RESULTS.md and the README's summary from the newest reports/ (a kind with none keeps its part)
	$(PY) -m services.tools.results --reports $(REPORTS) $(RESULTS_ARGS)

idle: venv ## What the running stack costs at rest: CPU per container and of the engine, from cgroups
	$(PY) -m services.tools.monitor.idle --seconds $(IDLE_SECONDS) --reports $(REPORTS)

stats: venv ## Live CPU per container of the stack, grouped by service (Ctrl-C to quit)
	$(PY) -m services.tools.monitor.stats

lab: venv ## The multiprocessing lab on the host (LAB_ARGS="--quick --only pool,value")
	$(PY) -m worker.lab $(LAB_ARGS)

lab-container: ## The lab inside the worker image, limited to WORKER_CPUS CPUs (default 1)
	$(COMPOSE) build worker
	docker run --rm --cpus $${WORKER_CPUS:-1} $${WORKER_IMAGE:-cpu-contrast-worker} python -m worker.lab $(LAB_ARGS)

test: venv ## Run every test: unit, integration (redis-server) and end to end (docker compose)
	$(PY) -m pytest

test-unit: venv ## Run the unit tests only (no Redis, no Docker)
	$(PY) -m pytest -m 'not integration and not e2e'

test-integration: venv ## Run the integration tests only (needs redis-server)
	$(PY) -m pytest -m integration

test-e2e: venv ## Run the end-to-end tests only (needs Docker with Compose v2)
	$(PY) -m pytest -m e2e

offline-images: ## Build stand-in base images from Debian packages (no registry needed; Python 3.14 from sid) into .env
	bash services/tools/offline-images/build.sh .env

lint: venv ## Lint and check formatting with ruff
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
