-- Argo CD health for every ecs.operator.dev kind, from the status the operator writes:
-- observedGeneration and the Ready / Synced / Progressing conditions (metav1.Condition).
local hs = {}
if obj.status == nil or obj.status.conditions == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to report status"
  return hs
end
if obj.metadata.generation ~= nil and obj.status.observedGeneration ~= obj.metadata.generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to act on the latest spec"
  return hs
end
local ready = nil
local synced = nil
local progressing = nil
for _, condition in ipairs(obj.status.conditions) do
  if condition.type == "Ready" then ready = condition end
  if condition.type == "Synced" then synced = condition end
  if condition.type == "Progressing" then progressing = condition end
end
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message
  return hs
end
-- Reasons that need a person: the spec, a failed rollout, or a name clash. Everything else
-- (creating, rolling out, waiting for a dependency, a transient AWS error) resolves by itself.
local needsAction = { InvalidSpec = true, RolloutFailed = true, ConflictExistingResource = true, NotFound = true }
for _, condition in ipairs({ ready, synced }) do
  if condition ~= nil and condition.status == "False" and needsAction[condition.reason] then
    hs.status = "Degraded"
    hs.message = condition.reason .. ": " .. (condition.message or "")
    return hs
  end
end
hs.status = "Progressing"
if progressing ~= nil and progressing.status == "True" then
  hs.message = progressing.message
elseif ready ~= nil then
  hs.message = ready.reason .. ": " .. (ready.message or "")
else
  hs.message = "Reconciling"
end
return hs
