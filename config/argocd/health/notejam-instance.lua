-- Argo CD health of a NotejamInstance, read from the status the operator writes
-- (metav1.Condition-shaped Ready, Progressing and Degraded conditions, observedGeneration).
-- Argo CD runs this with the object as the global `obj` and uses the table it returns.
-- A paused instance (spec.paused) is Suspended, whatever else its status says: the
-- operator changes nothing until it is unpaused.
local hs = {}

local function describe(condition)
  local text = condition.reason or condition.type
  if condition.message ~= nil and condition.message ~= "" then
    text = text .. ": " .. condition.message
  end
  return text
end

local generation = obj.metadata.generation or 0
local status = obj.status

if obj.spec ~= nil and obj.spec.paused == true then
  hs.status = "Suspended"
  hs.message = "Paused (spec.paused): the operator changes nothing until it is false"
  if status ~= nil and status.conditions ~= nil then
    for _, condition in ipairs(status.conditions) do
      if condition.type == "Paused" and condition.status == "True" then
        hs.message = describe(condition)
      end
    end
  end
  return hs
end
if status == nil or status.observedGeneration == nil or status.conditions == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to report status"
  return hs
end
if status.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to act on generation " .. generation
  return hs
end

-- A condition written for an older generation says nothing about the current spec.
local current = {}
for _, condition in ipairs(status.conditions) do
  if condition.observedGeneration == nil or condition.observedGeneration >= generation then
    current[condition.type] = condition
  end
end

local degraded, progressing, ready = current["Degraded"], current["Progressing"], current["Ready"]
if degraded ~= nil and degraded.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(degraded)
elseif progressing ~= nil and progressing.status == "True" then
  hs.status = "Progressing"
  hs.message = describe(progressing)
elseif ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(ready)
elseif ready ~= nil and ready.status == "False" then
  -- Not ready, yet neither progressing nor degraded by the operator's own account.
  hs.status = "Degraded"
  hs.message = describe(ready)
else
  hs.status = "Progressing"
  hs.message = "Waiting for the Ready condition"
end
return hs
