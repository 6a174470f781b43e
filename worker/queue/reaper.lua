-- A job id stuck between dequeue and start (worker/queue/reaper.py), moved from K.intermediate back to
-- the front of K.queue only if it is still there (not started meanwhile). 1: moved; 0: gone.
if redis.call('LREM', K.intermediate, 1, A.id) == 1 then
  redis.call('LPUSH', K.queue, A.id)
  return 1
end
return 0
