-- bench/api/load.lua -- the wrk script of the API benchmark (bench.py drives it).
--
-- Closed loop: every connection sends its next request when the previous answer came.
-- Settings come from the environment:
--   BENCH_MODE    get | np-create | pdns-create
--   BENCH_PATH    request path (the zone's records for np-create, the zone for pdns-create)
--   BENCH_AUTH    one header line, "Name: value" (Authorization or X-API-Key)
--   BENCH_PREFIX  record-name prefix, unique per run, so that every create is a new record
--   BENCH_ZONE    pdns-create: the zone name with its final dot
--   BENCH_MAX     at most this many answers per wrk thread (the loop's count bound; wrk's
--                 -d is its time bound)
-- Every answer is counted by status; the rate is answers over the time from the first
-- request to the last answer (a monotonic clock through LuaJIT's ffi), so a run that stops
-- at its count bound still reports its true rate. done() prints one BENCHJSON line.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk, bench_timespec *ts);
]]
local tsbuf = ffi.new("bench_timespec")
local function now()
	ffi.C.clock_gettime(1, tsbuf) -- CLOCK_MONOTONIC
	return tonumber(tsbuf.tv_sec) + tonumber(tsbuf.tv_nsec) * 1e-9
end

local mode = os.getenv("BENCH_MODE") or "get"
local path = os.getenv("BENCH_PATH") or "/"
local auth = os.getenv("BENCH_AUTH") or ""
local prefix = os.getenv("BENCH_PREFIX") or "r"
local zone = os.getenv("BENCH_ZONE") or ""
local max = tonumber(os.getenv("BENCH_MAX") or "1000000000")

local threads = {}
local thread_count = 0

function setup(thread)
	thread_count = thread_count + 1
	thread:set("tid", thread_count)
	table.insert(threads, thread)
end

-- per-thread state (each wrk thread has its own Lua state)
sent = 0
answered = 0
first = 0
last = 0
statuses = {}
sample = ""
local headers = {}
local static_req = nil

function init(args)
	local k, v = auth:match("^([^:]+):%s*(.*)$")
	if k then
		headers[k] = v
	end
	headers["Content-Type"] = "application/json"
	headers["Accept"] = "application/json"
	if mode == "get" then
		static_req = wrk.format("GET", path, headers)
	end
end

function request()
	if first == 0 then
		first = now()
	end
	sent = sent + 1
	if mode == "get" then
		return static_req
	end
	local name = string.format("%s-%d-%d", prefix, tid, sent)
	local body
	if mode == "np-create" then
		body = string.format('{"name":"%s","type":"A","content":"192.0.2.%d","ttl":300}',
			name, sent % 250 + 1)
		return wrk.format("POST", path, headers, body)
	end
	body = string.format('{"rrsets":[{"name":"%s.%s","type":"A","ttl":300,' ..
		'"changetype":"REPLACE","records":[{"content":"192.0.2.%d","disabled":false}]}]}',
		name, zone, sent % 250 + 1)
	return wrk.format("PATCH", path, headers, body)
end

function response(status, hdrs, body)
	answered = answered + 1
	last = now()
	statuses[status] = (statuses[status] or 0) + 1
	if (status < 200 or status >= 300) and sample == "" then
		sample = tostring(status) .. " " .. string.sub(body or "", 1, 200)
	end
	if answered >= max then
		wrk.thread:stop()
	end
end

local function jstr(s)
	s = string.gsub(s, '[%c"\\]', function(c)
		return string.format("\\u%04x", string.byte(c))
	end)
	return '"' .. s .. '"'
end

function done(summary, latency, requests)
	local total, sent_total, t0, t1 = 0, 0, nil, nil
	local by_status = {}
	local samples = {}
	for _, t in ipairs(threads) do
		local a, f, l = t:get("answered"), t:get("first"), t:get("last")
		total = total + a
		sent_total = sent_total + t:get("sent")
		if f > 0 and (t0 == nil or f < t0) then
			t0 = f
		end
		if l > 0 and (t1 == nil or l > t1) then
			t1 = l
		end
		for code, n in pairs(t:get("statuses")) do
			by_status[code] = (by_status[code] or 0) + n
		end
		local s = t:get("sample")
		if s ~= "" then
			table.insert(samples, s)
		end
	end
	local parts = {}
	for code, n in pairs(by_status) do
		table.insert(parts, string.format('"%d":%d', code, n))
	end
	local e = summary.errors
	io.write(string.format(
		'BENCHJSON {"answered":%d,"sent":%d,"elapsed":%.6f,"statuses":{%s},' ..
		'"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"wrk_requests":%d,' ..
		'"wrk_duration_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,' ..
		'"status":%d,"timeout":%d},"sample":%s}\n',
		total, sent_total, (t0 and t1) and (t1 - t0) or 0, table.concat(parts, ","),
		latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
		summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
		jstr(samples[1] or "")))
end
