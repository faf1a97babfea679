-- Argo CD health for every ecs.operator.dev kind, read from what the operator writes in status:
-- observedGeneration and the Ready / Synced / Progressing conditions, each with its own
-- observedGeneration (docs/design.md, section 2).
--
-- Argo CD runs a custom check with the base, table and package libraries only: no string, no
-- math, no global os (test/env/argocd.ts runs it the same way). Keep to operators, tostring,
-- ipairs and table.concat.
local hs = {}
local FINALIZER = "ecs.operator.dev/finalizer"
-- Reasons that need a person: AWS rejected the spec, the rollout failed, the name is taken, an
-- Observe-only object has nothing in AWS to observe, or a run (EcsTask) failed after its last
-- attempt. The operator does not retry them as they are. A run still going is TaskRunning
-- (Progressing), a completed one Ready (Healthy).
local TERMINAL = { InvalidSpec = true, RolloutFailed = true, ConflictExistingResource = true, NotFound = true, TaskFailed = true }

local generation = obj.metadata.generation
local status = obj.status or {}
local ready = nil
local synced = nil
local progressing = nil
for _, condition in ipairs(status.conditions or {}) do
  if condition.type == "Ready" then ready = condition end
  if condition.type == "Synced" then synced = condition end
  if condition.type == "Progressing" then progressing = condition end
end

-- A condition speaks for the spec only if it was written for the current generation.
local function current(condition)
  return condition ~= nil and condition.observedGeneration == generation
end
local function failed(condition)
  return current(condition) and condition.status == "False"
end
local function describe(condition)
  return tostring(condition.reason) .. ": " .. tostring(condition.message or "")
end

if obj.metadata.deletionTimestamp ~= nil then
  -- Argo CD >= 3.6 shows deletionMessage for an object being deleted (older versions show
  -- "Pending deletion"); message carries the same text for those that read it instead.
  hs.status = "Progressing"
  if ready ~= nil and ready.reason == "Deleting" and (ready.message or "") ~= "" then
    hs.deletionMessage = ready.message
  elseif failed(synced) then
    hs.deletionMessage = "deleting; the last attempt failed, retrying: " .. describe(synced)
  else
    local finalizers = obj.metadata.finalizers or {}
    local ours = false
    for _, finalizer in ipairs(finalizers) do
      if finalizer == FINALIZER then ours = true end
    end
    if ours then
      hs.deletionMessage = "waiting for the operator to delete the AWS resource (or keep it, with deletionPolicy: Retain) and remove finalizer " .. FINALIZER
    elseif #finalizers > 0 then
      hs.deletionMessage = "waiting for finalizers: " .. table.concat(finalizers, ", ")
    else
      hs.deletionMessage = "being deleted"
    end
  end
  hs.message = hs.deletionMessage
  return hs
end

local waiting = "waiting for the operator to reconcile generation " .. tostring(generation)
if status.observedGeneration ~= generation then
  hs.status = "Progressing"
  if status.observedGeneration ~= nil then
    hs.message = waiting .. " (status is for generation " .. tostring(status.observedGeneration) .. ")"
  else
    hs.message = waiting
  end
  return hs
end

-- Degraded first: a terminal reason for the current spec is not retried, so waiting would be a lie.
local terminal = nil
if failed(ready) and TERMINAL[ready.reason] then
  terminal = ready
elseif failed(synced) and TERMINAL[synced.reason] then
  terminal = synced
end
if terminal ~= nil then
  hs.status = "Degraded"
  hs.message = describe(terminal)
  return hs
end

-- Healthy only when Ready says True for this generation and Synced was written for it too: an
-- older Ready=True kept through a retryable error must not pass for the new spec. A Synced that
-- failed transiently (a throttled re-check) after Ready for this same spec is retried and noted.
if not current(ready) or not current(synced) then
  hs.status = "Progressing"
  if failed(synced) then
    hs.message = waiting .. ": " .. describe(synced)
  else
    hs.message = waiting
  end
  return hs
end
if ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message
  if synced.status ~= "True" then
    hs.message = tostring(ready.message or "") .. " (the last re-check failed and is retried: " .. describe(synced) .. ")"
  end
  return hs
end

-- A release paused by a PAUSE lifecycle hook waits for a person (the ecs.operator.dev/continue or
-- ecs.operator.dev/rollback annotation): Suspended, as Argo CD shows a paused rollout.
local release = status.release or {}
if synced.status == "True" and current(progressing) and progressing.status == "True" and #(release.awaitingAction or {}) > 0 then
  hs.status = "Suspended"
  hs.message = progressing.message
  return hs
end

-- Transitional: creating, updating, rolling out, waiting for a dependency, or an AWS error or
-- throttling the operator retries. The newest news first: a failed sync, then the rollout.
hs.status = "Progressing"
if synced.status ~= "True" then
  hs.message = describe(synced)
elseif current(progressing) and progressing.status == "True" then
  hs.message = progressing.message
else
  hs.message = describe(ready)
end
return hs
