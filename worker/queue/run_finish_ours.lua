-- The finish of one of our entries alone (finish_ours.lua defines finish_ours).
return finish_ours(K, A)
