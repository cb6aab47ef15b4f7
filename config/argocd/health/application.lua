-- Argo CD health of an Application, for the root Application that manages the others
-- (config/argocd/platform). Argo CD does not assess child Applications itself (since 1.8),
-- so without this a root would see every child Healthy the moment it exists and its sync
-- waves would wait for nothing: the environments would start before the CRD they need.
-- A child is as healthy as Argo CD found its resources, and Progressing while it has not
-- been assessed yet or an operation (a sync) is still running.
local hs = {}
local status = obj.status
if status == nil or status.health == nil or status.health.status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the Application to be assessed"
  return hs
end
if status.operationState ~= nil and status.operationState.phase == "Running" then
  hs.status = "Progressing"
  hs.message = status.operationState.message or "Sync running"
  return hs
end
hs.status = status.health.status
hs.message = status.health.message or ""
return hs
