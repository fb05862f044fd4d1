-- Requests for bench/http_load.py, chosen by the environment:
--   LOAD_MODE=get    GET the URL's path (LOAD_IF_NONE_MATCH adds that header)
--   LOAD_MODE=book   each request books one seat in a session not yet booked by that family
--   LOAD_MODE=login  each request logs a family in from a signed-out browser
--   LOAD_MODE=write  POST an empty form (the "insert" baseline)
-- LOAD_EXPECT is the status every response must have; others are counted and reported.
-- Every request sends the User-Agent the benchmark's session cookies are bound to.

local mode = os.getenv("LOAD_MODE") or "get"
local expect = tonumber(os.getenv("LOAD_EXPECT") or "200")
local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

local function read_lines(path)
  local found = {}
  for line in io.lines(path) do
    found[#found + 1] = line
  end
  return found
end

local function fields(line)
  local found = {}
  for part in string.gmatch(line, "[^\t]+") do
    found[#found + 1] = part
  end
  return found
end

function init(args)
  unexpected = 0
  sent = 0
  stride = tonumber(os.getenv("LOAD_THREADS") or "1")
  offset = tonumber(os.getenv("LOAD_OFFSET") or "0")
  families = {}
  sessions = {}
  if mode == "book" or mode == "login" then
    for _, line in ipairs(read_lines(os.getenv("LOAD_FAMILIES"))) do
      families[#families + 1] = fields(line)
    end
  end
  if mode == "book" then
    sessions = read_lines(os.getenv("LOAD_SESSIONS"))
  end
  base_headers = { ["User-Agent"] = "hearth-bench" }
  if os.getenv("LOAD_IF_NONE_MATCH") then
    base_headers["If-None-Match"] = os.getenv("LOAD_IF_NONE_MATCH")
  end
end

local function form_headers(cookie)
  return {
    ["User-Agent"] = "hearth-bench",
    ["Cookie"] = cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }
end

function request()
  if mode == "get" then
    return wrk.format("GET", nil, base_headers)
  end
  if mode == "write" then
    return wrk.format("POST", nil, form_headers("none=1"), "")
  end
  -- Request number g of the whole run, over all threads: pairs (session, family) never repeat,
  -- and consecutive requests go to different families and sessions.
  local g = offset + sent * stride + tid
  sent = sent + 1
  if mode == "book" then
    local s, f = #sessions, #families
    local session = sessions[(g % s) + 1]
    local family = families[((math.floor(g / s) + g) % f) + 1]
    local body = "csrf_token=" .. family[3] .. "&seats=1"
    return wrk.format("POST", "/sessions/" .. session .. "/book", form_headers(family[2]), body)
  end
  local family = families[(g % #families) + 1]
  local body = "csrf_token=" .. os.getenv("LOAD_VISITOR_CSRF") .. "&email=" .. family[1]
    .. "&password=" .. os.getenv("LOAD_PASSWORD")
  return wrk.format("POST", "/login", form_headers(os.getenv("LOAD_VISITOR_COOKIE")), body)
end

function response(status, headers, body)
  if status ~= expect then
    unexpected = unexpected + 1
    if unexpected == 1 then
      io.stderr:write("unexpected status " .. status .. "\n" .. string.sub(body or "", 1, 600) .. "\n")
    end
  end
end

function done(summary, latency, requests)
  local wrong = 0
  for _, thread in ipairs(threads) do
    wrong = wrong + thread:get("unexpected")
  end
  local errors = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
      .. '"unexpected": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    wrong, errors.connect + errors.read + errors.write + errors.timeout))
end
