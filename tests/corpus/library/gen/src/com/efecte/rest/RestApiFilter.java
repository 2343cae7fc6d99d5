package com.efecte.rest;

import gen.Sink;
import com.efecte.esm.IncidentService;
import java.util.*;
import java.util.concurrent.*;

/** Simulated Matrix42 ESM REST API server; every log call goes through the real logging library via Sink. */
public class RestApiFilter {
    static final String REST = "com.efecte.rest.RestApiLogger";
    static final String[] USERS = {"CRM_SYNC", "jdoe", "svc_monitoring"};
    static final String[] IPS = {"10.20.0.10", "192.168.14.52", "10.20.3.77"};
    static final int[] EXEC = {1, 3, 7, 10, 12};

    final Sink sink; final boolean jsonMdc; final Random rnd = new Random(42);
    final IncidentService incidents = new IncidentService();
    RestApiFilter(Sink s, boolean j) { sink = s; jsonMdc = j; }

    public static void run(Sink sink, boolean jsonMdc, int entries) throws Exception {
        RestApiFilter f = new RestApiFilter(sink, jsonMdc);
        Map<Integer, ExecutorService> pools = new LinkedHashMap<>();
        for (int n : EXEC) {
            final String name = "http-nio-8443-exec-" + n;
            pools.put(n, Executors.newSingleThreadExecutor(r -> new Thread(r, name)));
        }
        ExecutorService sched = Executors.newSingleThreadExecutor(r -> new Thread(r, "scheduling-1"));
        f.startup();
        int count = 2, nextError = 15, nextJob = 5;
        while (count < entries) {
            Thread.sleep(f.rnd.nextInt(40));
            if (count >= nextError) {
                nextError += 30;
                int n = EXEC[f.rnd.nextInt(EXEC.length)];
                pools.get(n).submit(() -> { f.failingCall(); return null; }).get();
                count += 2;
            } else if (count >= nextJob) {
                nextJob += 23;
                sched.submit(() -> { f.schedulerJob(); return null; }).get();
                count += 2;
            } else {
                int n = EXEC[f.rnd.nextInt(EXEC.length)];
                count += pools.get(n).submit(() -> f.request()).get();
            }
        }
        f.sink.log("com.efecte.esm.Server", "INFO", null, "Shutting down REST API connector [https-jsse-nio-8443]", null);
        for (ExecutorService e : pools.values()) e.shutdown();
        sched.shutdown();
        sink.shutdown();
    }

    void startup() {
        sink.log("com.efecte.esm.Server", "INFO", null, "Starting Matrix42 ESM REST API 2024.3.1 on port 8443", null);
        sink.log("com.efecte.esm.config.ConfigLoader", "DEBUG", null,
            "Loaded REST API configuration:\n  maxThreads=200\n  connectionTimeout=30000\n  rateLimit=100/min", null);
    }

    String reqId() { return String.format("%08x", rnd.nextInt()); }

    void putMdc(String user, String rid) { sink.mdcPut("user", user); sink.mdcPut("requestId", rid); }

    /** one REST call: optional DEBUG lines + the RestApiLogger line. returns number of entries written */
    int request() {
        int u = rnd.nextInt(USERS.length);
        String user = USERS[u], ip = IPS[u], rid = reqId();
        String method, path; int status; int p = rnd.nextInt(10);
        long id = 10000 + rnd.nextInt(5000);
        if (p < 2) { method = "POST"; path = "/rest-api/itsm/v1/users/login"; status = rnd.nextInt(4) == 0 ? 401 : 200; }
        else if (p < 5) { method = "GET"; path = "/rest-api/itsm/v1/dc/incident/data/" + id; status = pick(200, 200, 200, 404, 429, 500); }
        else if (p < 7) { method = "PUT"; path = "/rest-api/itsm/v1/dc/incident/data/" + id; status = pick(200, 200, 404, 500); }
        else if (p < 8) { method = "POST"; path = "/rest-api/itsm/v1/dc/incident/data"; status = pick(201, 201, 201, 429); }
        else if (p < 9) { method = "GET"; path = "/rest-api/itsm/v1/dc/servicerequest/data?filter=status%20eq%20%27Open%27&limit=50"; status = pick(200, 200, 429); }
        else { method = "GET"; path = "/rest-api/itsm/v1/templates"; status = 200; }
        int duration = status == 429 ? 2 + rnd.nextInt(5) : status == 500 ? 1000 + rnd.nextInt(29000) : 12 + rnd.nextInt(900);
        putMdc(user, rid);
        int n = 0;
        if (rnd.nextInt(3) == 0) {
            sink.log("com.efecte.esm.auth.TokenValidator", "DEBUG", null, "Validated bearer token for " + user + " (expires in " + (60 + rnd.nextInt(3500)) + "s)", null);
            n++;
        }
        if (jsonMdc) {
            sink.mdcPut("method", method); sink.mdcPut("path", path);
            sink.mdcPut("status", Integer.toString(status)); sink.mdcPut("duration", Integer.toString(duration));
        }
        String level = status >= 500 ? "ERROR" : status >= 400 ? "WARN" : "INFO";
        String marker = status == 401 ? "SECURITY" : null;
        sink.log(REST, level, marker, "user=" + user + " ip=" + ip + " method=" + method + " path=" + path + " status=" + status + " duration=" + duration + "ms", null);
        n++;
        if (status == 429 && rnd.nextBoolean()) {
            sink.log("com.efecte.rest.RateLimiter", "INFO", null, "Rate limit exceeded for " + user + ", retry after 60s", null);
            n++;
        }
        sink.mdcClear();
        return n;
    }

    int pick(int... v) { return v[rnd.nextInt(v.length)]; }

    void schedulerJob() {
        sink.ndcPush("CrmSyncJob");
        sink.log("com.efecte.esm.scheduler.SyncJob", "INFO", null, "CRM synchronization started (batch=" + (100 + rnd.nextInt(400)) + ")", null);
        sink.log("org.hibernate.SQL", "DEBUG", null, "select d.id, d.template_code, d.modified from datacard d where d.modified > ? order by d.id", null);
        sink.ndcPop();
    }

    void failingCall() {
        String user = USERS[rnd.nextInt(USERS.length)], rid = reqId();
        long id = 10000 + rnd.nextInt(5000);
        putMdc(user, rid);
        String path = "/rest-api/itsm/v1/dc/incident/data/" + id;
        int duration = 30000 + rnd.nextInt(200);
        try {
            incidents.load(id);
        } catch (RuntimeException e) {
            sink.log("com.efecte.esm.IncidentController", "ERROR", null, "Unhandled exception while processing GET " + path, e);
        }
        if (jsonMdc) {
            sink.mdcPut("method", "GET"); sink.mdcPut("path", path);
            sink.mdcPut("status", "500"); sink.mdcPut("duration", Integer.toString(duration));
        }
        sink.log(REST, "ERROR", null, "user=" + user + " ip=" + IPS[Arrays.asList(USERS).indexOf(user)] + " method=GET path=" + path + " status=500 duration=" + duration + "ms", null);
        sink.mdcClear();
    }
}
