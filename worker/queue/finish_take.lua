-- LeanWorker's finish of one of our entries and its take of the next job, in one round trip: the
-- script is finish_ours.lua and take.lua (which define finish_ours and take) followed by this. The
-- finish reads its arguments as the finish alone does; the take's come prefixed with `next_` (TAKE_ARGS
-- names them). Both read K: the finish's keys, the worker's, and the worker's queues (the take's group).
-- Returns {the merge's answer, the take's reply (nil: every queue was empty)}.
local merged = finish_ours(K, A)
local TA = {}
for _, name in ipairs(TAKE_ARGS) do TA[name] = A['next_' .. name] end
return {merged, take(K, TA)}
