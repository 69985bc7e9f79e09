package dev.kiln.serve;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code kiln serve}: an HTTP server (Helidon SE 4, a virtual thread per request) answering predictions
 * for the models of a {@link ModelRegistry}.
 *
 * <pre>
 * POST /v1/models/{name}:predict                    {"instances": [...], "top_k": 3}
 *                                                   (numbers; "text" with a tokenizer; {"b64": "<PNG/JPEG>"})
 * POST /v1/models/{name}/versions/{v}:predict
 * GET  /v1/models, /v1/models/{name}
 * POST /v1/admin/reload                             (admin scope) scan the models folder now
 * GET  /health/live, /health/ready, /metrics, /openapi.json
 * </pre>
 *
 * Every error is JSON {@code {"error": {"code": 400, "message": "..."}}} and never a stack trace.
 * With API keys configured, /v1 and /metrics need a read key and /v1/admin an admin key, sent as
 * {@code Authorization: Bearer <key>} or {@code X-API-Key: <key>}; the health checks and the OpenAPI
 * description stay open for load balancers.
 *
 * <p>Lifecycle: {@link #start} loads the models and binds; {@link #close} drains (new predictions get 503,
 * in-flight ones finish, bounded by the drain timeout), then stops the listener and the batchers.
 */
public final class ModelServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.kiln.serve");
    private static final JsonFactory JSON = new JsonFactory();
    private static final String PREFIX = "/v1/models";

    private final ServerConfig config;
    private final Metrics metrics = new Metrics();
    private final ModelRegistry registry;
    private final ScheduledExecutorService poller;
    private final WebServer server;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final byte[] openApi;
    private volatile boolean draining;

    private ModelServer(ServerConfig config, Map<String, Predictor> inMemory) throws IOException {
        this.config = config;
        this.registry = new ModelRegistry(config, metrics);
        try (InputStream in = ModelServer.class.getResourceAsStream("openapi.json")) {
            if (in == null) throw new IllegalStateException("openapi.json is missing from the kiln-serve jar");
            this.openApi = in.readAllBytes();
        }
        registry.loadFiles();
        for (var e : inMemory.entrySet()) registry.addInMemory(e.getKey(), e.getValue());
        registry.scan();
        if (config.modelsDir() != null) {
            poller = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("kiln-model-poller").factory());
            long ms = config.pollInterval().toMillis();
            poller.scheduleWithFixedDelay(this::scanQuietly, ms, ms, TimeUnit.MILLISECONDS);
        } else {
            poller = null;
        }
        WebServerConfig.Builder b = WebServer.builder()
                .host(config.host())
                .port(config.port())
                .shutdownHook(false)
                .routing(r -> r.any(this::handle));
        if (config.tls() != null) b.tls(Pem.tls(config.tls()));
        try {
            this.server = b.build().start();
        } catch (RuntimeException e) {
            registry.close();
            if (poller != null) poller.shutdownNow();
            throw e;
        }
    }

    /** Loads the models, binds the port and starts answering. */
    public static ModelServer start(ServerConfig config) throws IOException {
        return new ModelServer(config, Map.of());
    }

    /**
     * Also serves models already in memory, each as version 1 under its name (an application that trains or
     * builds its model itself, and tests). They are never reloaded or unloaded by folder scans.
     */
    public static ModelServer start(ServerConfig config, Map<String, Predictor> models) throws IOException {
        return new ModelServer(config, Map.copyOf(models));
    }

    /** The port bound (useful with port 0). */
    public int port() {
        return server.port();
    }

    public ServerConfig config() {
        return config;
    }

    /** Scans the models folder now (the poller does this every {@code pollInterval}). */
    public void reload() {
        registry.scan();
    }

    /** Names of the models with at least one loaded version. */
    public List<String> models() {
        return registry.names();
    }

    private void scanQuietly() {
        try {
            registry.scan();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "scanning the models folder failed: " + e, e);
        }
    }

    // ---- dispatch ---------------------------------------------------------------------------------

    private void handle(ServerRequest req, ServerResponse res) {
        long t0 = System.nanoTime();
        inFlight.incrementAndGet();
        String route = "unknown";
        int status;
        try {
            String path = req.path().path();
            Method method = req.prologue().method();
            route = routeName(path);
            status = dispatch(req, res, path, method, route);
        } catch (ApiException e) {
            status = error(res, e.status(), e.getMessage());
        } catch (RuntimeException | Error e) {
            LOG.log(System.Logger.Level.ERROR, "request " + req.prologue().method().text() + " " + req.path().path() + " failed", e);
            status = error(res, 500, "internal error while answering this request; the server log has the details");
        } finally {
            inFlight.decrementAndGet();
        }
        metrics.request(route, status, System.nanoTime() - t0);
    }

    private static String routeName(String path) {
        if (path.startsWith(PREFIX + "/") && path.endsWith(":predict")) return "predict";
        if (path.equals(PREFIX)) return "models";
        if (path.startsWith(PREFIX + "/")) return "model";
        if (path.startsWith("/health/")) return "health";
        if (path.equals("/metrics")) return "metrics";
        if (path.equals("/openapi.json")) return "openapi";
        if (path.startsWith("/v1/admin/")) return "admin";
        return "unknown";
    }

    private int dispatch(ServerRequest req, ServerResponse res, String path, Method method, String route) {
        switch (route) {
            case "health" -> {
                requireMethod(method, Method.GET, res);
                if (path.equals("/health/live")) return json(res, 200, Map.of("status", "live"));
                if (path.equals("/health/ready")) {
                    boolean ready = !draining && !registry.names().isEmpty();
                    return json(res, ready ? 200 : 503, Map.of("status", ready ? "ready" : draining ? "draining" : "no model loaded"));
                }
                throw new ApiException(404, "no such endpoint " + path + "; health checks are /health/live and /health/ready");
            }
            case "openapi" -> {
                requireMethod(method, Method.GET, res);
                res.header(HeaderNames.CONTENT_TYPE, "application/json");
                res.send(openApi);
                return 200;
            }
            case "metrics" -> {
                authorize(req, ApiKeys.Scope.READ);
                requireMethod(method, Method.GET, res);
                res.header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
                res.send(metrics.render(registry).getBytes(StandardCharsets.UTF_8));
                return 200;
            }
            case "admin" -> {
                authorize(req, ApiKeys.Scope.ADMIN);
                if (!path.equals("/v1/admin/reload")) throw new ApiException(404, "no such endpoint " + path + "; the admin endpoint is POST /v1/admin/reload");
                requireMethod(method, Method.POST, res);
                registry.scan();
                return json(res, 200, Map.of("models", registry.names()));
            }
            case "models" -> {
                authorize(req, ApiKeys.Scope.READ);
                requireMethod(method, Method.GET, res);
                return json(res, 200, ModelInfo.list(registry));
            }
            case "model" -> {
                authorize(req, ApiKeys.Scope.READ);
                String name = path.substring(PREFIX.length() + 1);
                requireMethod(method, Method.GET, res);
                if (!ModelRegistry.NAME.matcher(name).matches() || registry.versions(name).isEmpty()) throw unknownModel(name);
                return json(res, 200, ModelInfo.describe(registry, name));
            }
            case "predict" -> {
                authorize(req, ApiKeys.Scope.READ);
                requireMethod(method, Method.POST, res);
                return predict(req, res, path.substring(PREFIX.length() + 1, path.length() - ":predict".length()));
            }
            default -> throw new ApiException(404, "no such endpoint " + path
                    + "; see /openapi.json (predict is POST /v1/models/{name}:predict, listing is GET /v1/models)");
        }
    }

    // ---- predict ------------------------------------------------------------------------------------

    private int predict(ServerRequest req, ServerResponse res, String target) {
        if (draining) {
            res.header(HeaderNames.RETRY_AFTER, "1");
            throw new ApiException(503, "the server is shutting down; send the request to another replica");
        }
        String name = target;
        Long version = null;
        int v = target.indexOf("/versions/");
        if (v >= 0) {
            name = target.substring(0, v);
            String text = target.substring(v + "/versions/".length());
            try {
                version = Long.parseLong(text);
            } catch (NumberFormatException e) {
                throw new ApiException(404, "version '" + text + "' is not a version number; versions are positive integers such as 1");
            }
        }
        if (!ModelRegistry.NAME.matcher(name).matches()) throw unknownModel(name);
        ModelRegistry.Served served = registry.find(name, version);
        if (served == null) {
            if (version == null || registry.versions(name).isEmpty()) throw unknownModel(name);
            throw new ApiException(404, "model '" + name + "' has no version " + version + " loaded; loaded versions: "
                    + registry.versions(name).stream().map(s -> Long.toString(s.version())).toList());
        }
        // curl -d sends application/x-www-form-urlencoded; the body is still the JSON the user typed.
        String type = req.headers().first(HeaderNames.CONTENT_TYPE).orElse("application/json").toLowerCase(java.util.Locale.ROOT);
        if (!type.contains("json") && !type.startsWith("application/x-www-form-urlencoded") && !type.startsWith("text/plain")) {
            throw new ApiException(415, "content type '" + type + "' is not supported; send JSON with Content-Type: application/json");
        }
        Predictor predictor = served.predictor();
        PredictRequest request = PredictRequest.parse(body(req), predictor.inputShape(), config.maxInstances(), predictor.rawInputs());
        predictor.rawInputs().checkTokenIds(request.rows());
        CompletableFuture<float[][]> future = served.batcher().submit(request.rows());
        if (future == null) {
            res.header(HeaderNames.RETRY_AFTER, "1");
            if (served.batcher().isClosing()) {
                throw new ApiException(503, "model '" + name + "' version " + served.version() + " is being unloaded or replaced; retry");
            }
            throw new ApiException(503, "model '" + name + "' has " + config.queueCapacity() + " requests waiting, the most it queues; retry shortly");
        }
        float[][] outputs;
        try {
            outputs = future.get(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(false);   // the batcher skips it if it has not started
            throw new ApiException(504, "no prediction within " + config.requestTimeout().toMillis() + " ms; the server is overloaded, retry later");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "the request was interrupted while the server stopped; retry");
        } catch (ExecutionException | CancellationException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof IllegalStateException && cause.getMessage() != null && cause.getMessage().contains("unloaded")) {
                throw new ApiException(503, "model '" + name + "' version " + served.version() + " was unloaded while the request waited; retry");
            }
            if (cause instanceof IllegalArgumentException) {
                // The model refused this request's input (the batcher isolates it from the others' requests).
                String why = cause.getMessage() == null ? "invalid input" : cause.getMessage();
                throw new ApiException(400, "the model refused the input: " + (why.length() > 500 ? why.substring(0, 500) + "..." : why));
            }
            LOG.log(System.Logger.Level.ERROR, "prediction failed for model " + name + " version " + served.version(), cause);
            throw new ApiException(500, "prediction failed inside the model; the server log has the details");
        }
        int topK = request.topK() != null ? request.topK() : config.defaultTopK();
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(ModelInfo.predictions(served, outputs, topK));
        return 200;
    }

    /** The request body, refusing more than {@code maxBodyBytes} without reading it all. */
    private byte[] body(ServerRequest req) {
        long max = config.maxBodyBytes();
        long declared = req.headers().contentLength().orElse(-1);
        if (declared > max) throw tooLarge(declared);
        try (InputStream in = req.content().inputStream()) {
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
            if (bytes.length > max) throw tooLarge(-1);
            if (bytes.length == 0) throw new ApiException(400, "the request body is empty; send {\"instances\": [...]}");
            return bytes;
        } catch (IOException | UncheckedIOException e) {
            throw new ApiException(400, "could not read the request body: " + e.getMessage());
        }
    }

    private ApiException tooLarge(long declared) {
        return new ApiException(413, "the request body is " + (declared >= 0 ? declared + " bytes" : "larger than the limit") + "; at most "
                + config.maxBodyBytes() + " bytes are accepted; send fewer instances per request");
    }

    private ApiException unknownModel(String name) {
        String shown = name.length() > 64 ? name.substring(0, 64) + "..." : name;
        return new ApiException(404, "unknown model '" + shown + "'; served models: " + registry.names());
    }

    // ---- auth, errors, JSON -------------------------------------------------------------------------

    private void authorize(ServerRequest req, ApiKeys.Scope needed) {
        ApiKeys keys = config.apiKeys();
        if (keys.isOpen()) return;
        String token = req.headers().first(HeaderNames.AUTHORIZATION)
                .filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7)).map(h -> h.substring(7).strip())
                .orElseGet(() -> req.headers().first(HeaderNames.create("X-API-Key")).orElse(null));
        if (token == null || token.isEmpty()) {
            throw new ApiException(401, "missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'");
        }
        ApiKeys.Scope scope = keys.scopeOf(token);
        if (scope == null) throw new ApiException(401, "the API key is not recognised; check the key or ask for one");
        if (needed == ApiKeys.Scope.ADMIN && scope != ApiKeys.Scope.ADMIN) {
            throw new ApiException(403, "this endpoint needs an admin key; the key sent has read scope");
        }
    }

    private static void requireMethod(Method method, Method allowed, ServerResponse res) {
        if (!method.equals(allowed)) {
            res.header(HeaderNames.ALLOW, allowed.text());
            throw new ApiException(405, "method " + method.text() + " is not allowed here; use " + allowed.text());
        }
    }

    private static int error(ServerResponse res, int status, String message) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeObjectFieldStart("error");
            g.writeNumberField("code", status);
            g.writeStringField("message", message);
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (status == 401) res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer");
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(out.toByteArray());
        return status;
    }

    private static int json(ServerResponse res, int status, Object value) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(ModelInfo.write(value));
        return status;
    }

    // ---- shutdown -----------------------------------------------------------------------------------

    /**
     * Graceful stop: readiness turns false and new predictions get 503 at once; requests already inside
     * finish (waiting at most the drain timeout); then the listener, the poller and the batchers stop.
     */
    @Override
    public void close() {
        draining = true;
        long deadline = System.nanoTime() + config.drainTimeout().toNanos();
        // Bounded wait: in-flight requests finish within the request timeout, the drain timeout caps it.
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(Duration.ofMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (inFlight.get() > 0) LOG.log(System.Logger.Level.WARNING, inFlight.get() + " requests were still running when the drain timeout ended");
        server.stop();
        if (poller != null) poller.shutdownNow();
        registry.close();
    }

    /** The registry, for {@link LoadTest}, which serves a model it saved itself and needs its input shape. */
    ModelRegistry registryForLoadTest() {
        return registry;
    }

    /** Requests being answered right now. */
    int inFlight() {
        return inFlight.get();
    }
}
