-- LeanWorker's take (worker/queue/lean.py): what RQ's dequeue, prepare_execution and
-- prepare_job_execution do, in one step. Take the next id from the first non-empty of K.queues (in the
-- worker's order), or start A.id, which a blocking wait popped from K.queues[A.place]; return
-- {queue's place, id, begun, its answer, the job's hash as HGETALL gives it}, or false if every queue is
-- empty. The script is prepended with shared.job_store.LUA_STEPS and shared.entries.LUA.
--
-- Our own entries (shared.entries: the id names a job of ours, whose record exists; only when A.host is
-- set) are begun here as well (begin_job: begun 1 with the job's request, or 0 with its status if it
-- has ended), and get only the records that RQ's tools read (`rq info`, rq-dashboard, our reaper): the
-- execution and its place in the started registry and the worker's index, the job's status. Not the
-- job's own execution registry (only Job.get_executions reads it), nor a PERSIST (our entries have no
-- TTL), and the worker's heartbeat (its key's and its execution index's TTLs for the job's timeout) and
-- state only when A.beat and A.mark_busy say so. Every other entry gets all of RQ's records (begun 2).
local function take(K, A)
  local given = A.id ~= ''
  local id, q = A.id, tonumber(A.place)
  local raw
  -- This very take sent again (same execution id): its reply was lost with the connection and redis-py's
  -- ride-out retry sent it anew. Taking the next job would leave the first started under a live worker
  -- that never runs it, so answer the job it took (found in the worker's execution index) and write
  -- nothing more. One command per take: the worker's last execution id (outside RQ's keys), swapped for
  -- this one.
  local resent = redis.call('SET', 'cpuc:lean-take:' .. A.worker_name, A.execution_id, 'EX', A.worker_ttl, 'GET')
    == A.execution_id
  if resent then
    local suffix = ':' .. A.execution_id
    id = ''
    for _, member in ipairs(redis.call('SMEMBERS', K.executions)) do
      if string.sub(member, -#suffix) == suffix then id = string.sub(member, 1, -#suffix - 1) end
    end
    if id == '' then resent, id = false, A.id end  -- the first found every queue empty: take as asked
  end
  if resent then
    for i, queue in ipairs(K.queues) do
      if redis.call('ZSCORE', queue.started, id .. ':' .. A.execution_id) then q = i end
    end
    given = false
    raw = redis.call('HGETALL', A.job_prefix .. id)
    if #raw == 0 then return false end
  end
  while not resent do
    if id == '' then
      q = 0
      for i, queue in ipairs(K.queues) do
        local popped = redis.call('LPOP', queue.queue)
        if popped then
          id, q = popped, i
          break
        end
      end
      if q == 0 then return false end
    end
    raw = redis.call('HGETALL', A.job_prefix .. id)
    if #raw > 0 then break end
    -- Its hash expired: skip the id, as RQ does, and take the next one.
    if given then redis.call('LREM', K.queues[q].intermediate, 1, id) end
    given, id = false, ''
  end
  local queue = K.queues[q]
  local job_key = A.job_prefix .. id
  local timeout = tonumber(A.default_timeout)
  for i = 1, #raw, 2 do
    if raw[i] == 'timeout' then timeout = tonumber(raw[i + 1]) end
  end
  local ttl = timeout + 60
  if timeout == -1 then ttl = tonumber(A.worker_ttl) end
  local now = tonumber(A.now)

  local begun, answer = 2, ''
  if A.host ~= '' then
    local job = our_entry(id)
    if job then
      local reply = begin_job({record = job_keys(job).record},
                              {host = A.host, pool_processes = A.pool_processes, now = A.now})
      if reply[1] ~= -1 then begun, answer = reply[1], reply[2] end
    end
  end
  local ours = begun ~= 2
  local out = {q, id, begun, answer}
  for i = 1, #raw do out[#out + 1] = raw[i] end
  if resent then return out end

  local composite = id .. ':' .. A.execution_id
  local execution_key = A.execution_prefix .. composite
  redis.call('HSET', execution_key, 'id', A.execution_id, 'job_id', id, 'created_at', A.now,
             'last_heartbeat', A.now, 'worker_name', A.worker_name)
  redis.call('EXPIRE', execution_key, ttl)
  if not ours then
    local registry_key = A.executions_prefix .. id
    redis.call('ZADD', registry_key, now + ttl + 60, A.execution_id)
    redis.call('EXPIRE', registry_key, ttl + 60)
  end
  redis.call('ZADD', queue.started, now + ttl, composite)
  redis.call('SADD', K.executions, composite)
  if not ours or A.beat == '1' then
    redis.call('EXPIRE', K.executions, ttl + 60)
    redis.call('HSET', K.worker, 'state', 'busy', 'last_heartbeat', A.now_text)
    redis.call('EXPIRE', K.worker, ttl)
  elseif A.mark_busy == '1' then
    redis.call('HSET', K.worker, 'state', 'busy')
  end
  redis.call('HSET', job_key, 'last_heartbeat', A.now_text, 'status', 'started', 'started_at', A.now_text,
             'worker_name', A.worker_name)
  if not ours then redis.call('PERSIST', job_key) end
  if given then redis.call('LREM', queue.intermediate, 1, id) end
  return out
end
