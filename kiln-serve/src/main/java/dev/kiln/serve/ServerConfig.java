package dev.kiln.serve;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Settings of a {@link ModelServer}.
 *
 * @param host             address to bind; 127.0.0.1 unless the server should be reachable from other machines
 * @param port             TCP port; 0 picks a free one ({@link ModelServer#port()} says which)
 * @param modelsDir        a folder laid out as {@code <name>/<version>/model.kiln}, polled for new versions; or null
 * @param modelFiles       single {@code .kiln} files served as version 1 under their file name (without .kiln)
 * @param pollInterval     how often the models folder is scanned for new, changed or removed versions
 * @param maxBatchSize     most samples one forward pass takes (dynamic batching)
 * @param maxQueueDelay    longest a request waits for others to fill a batch once the worker is free
 * @param queueCapacity    requests waiting per model version; one more is answered 503
 * @param requestTimeout   a predict request not answered by then gets 504 (and is dropped from the queue)
 * @param maxBodyBytes     largest request body; a larger one gets 413
 * @param maxInstances     most instances in one predict request; more gets 400
 * @param defaultTopK      classes per instance a classifier returns unless the request says {@code top_k}
 * @param drainTimeout     how long a graceful shutdown waits for in-flight requests
 * @param apiKeys          who may call which endpoints; {@link ApiKeys#none()} leaves the server open
 * @param tls              PEM certificate chain and key, or null for plain HTTP
 */
public record ServerConfig(String host, int port, Path modelsDir, List<Path> modelFiles, Duration pollInterval,
                           int maxBatchSize, Duration maxQueueDelay, int queueCapacity, Duration requestTimeout,
                           long maxBodyBytes, int maxInstances, int defaultTopK, Duration drainTimeout, ApiKeys apiKeys,
                           Tls tls) {
    /** A PEM certificate chain and its private key (PKCS#8). */
    public record Tls(Path certChain, Path privateKey) {
        public Tls {
            if (certChain == null || privateKey == null) throw new IllegalArgumentException("TLS needs both a PEM certificate chain and a PEM private key");
        }
    }

    public ServerConfig {
        if (host == null || host.isBlank()) throw new IllegalArgumentException("host is empty; use 127.0.0.1 (this machine only) or 0.0.0.0 (all interfaces)");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be in 0..65535 (0 picks a free port), got " + port);
        modelFiles = modelFiles == null ? List.of() : List.copyOf(modelFiles);
        if (modelsDir == null && modelFiles.isEmpty()) {
            throw new IllegalArgumentException("nothing to serve: give model files (a.kiln b.kiln) or a models folder laid out as <name>/<version>/model.kiln");
        }
        positive(pollInterval, "pollInterval");
        if (maxBatchSize < 1) throw new IllegalArgumentException("maxBatchSize must be at least 1, got " + maxBatchSize);
        if (maxQueueDelay == null || maxQueueDelay.isNegative()) throw new IllegalArgumentException("maxQueueDelay must be zero or positive, got " + maxQueueDelay);
        if (queueCapacity < 1) throw new IllegalArgumentException("queueCapacity must be at least 1, got " + queueCapacity);
        positive(requestTimeout, "requestTimeout");
        if (maxBodyBytes < 64) throw new IllegalArgumentException("maxBodyBytes must be at least 64, got " + maxBodyBytes);
        if (maxInstances < 1) throw new IllegalArgumentException("maxInstances must be at least 1, got " + maxInstances);
        if (defaultTopK < 1) throw new IllegalArgumentException("defaultTopK must be at least 1, got " + defaultTopK);
        if (drainTimeout == null || drainTimeout.isNegative()) throw new IllegalArgumentException("drainTimeout must be zero or positive, got " + drainTimeout);
        if (apiKeys == null) apiKeys = ApiKeys.none();
    }

    /** Loopback, a free port, and defaults that suit a small model on a few cores. */
    public static ServerConfig of(Path modelsDir, List<Path> modelFiles) {
        return new ServerConfig("127.0.0.1", 0, modelsDir, modelFiles, Duration.ofSeconds(2), 64, Duration.ofMillis(1), 1024,
                Duration.ofSeconds(10), 4L << 20, 1024, 3, Duration.ofSeconds(10), ApiKeys.none(), null);
    }

    private static void positive(Duration d, String name) {
        if (d == null || d.isNegative() || d.isZero()) throw new IllegalArgumentException(name + " must be positive, got " + d);
    }

    public ServerConfig withHost(String v) { return new ServerConfig(v, port, modelsDir, modelFiles, pollInterval, maxBatchSize, maxQueueDelay, queueCapacity, requestTimeout, maxBodyBytes, maxInstances, defaultTopK, drainTimeout, apiKeys, tls); }
    public ServerConfig withPort(int v) { return new ServerConfig(host, v, modelsDir, modelFiles, pollInterval, maxBatchSize, maxQueueDelay, queueCapacity, requestTimeout, maxBodyBytes, maxInstances, defaultTopK, drainTimeout, apiKeys, tls); }
    public ServerConfig withPollInterval(Duration v) { return new ServerConfig(host, port, modelsDir, modelFiles, v, maxBatchSize, maxQueueDelay, queueCapacity, requestTimeout, maxBodyBytes, maxInstances, defaultTopK, drainTimeout, apiKeys, tls); }
    public ServerConfig withMaxBatchSize(int v) { return new ServerConfig(host, port, modelsDir, modelFiles, pollInterval, v, maxQueueDelay, queueCapacity, requestTimeout, maxBodyBytes, maxInstances, defaultTopK, drainTimeout, apiKeys, tls); }
    public ServerConfig withMaxQueueDelay(Duration v) { return new ServerConfig(host, port, modelsDir, modelFiles, pollInterval, maxBatchSize, v, queueCapacity, requestTimeout, maxBodyBytes, maxInstances, defaultTopK, drainTimeout, apiKeys, tls); }
    public ServerConfig withQueueCapacity(int v) { return new ServerConfig(host, port, modelsDir, modelFiles, pollInterval, maxBatchSize, maxQueueDelay, v, requestTimeout, maxBodyBytes, maxInstances, defaultTopK, drainTimeout, apiKeys, tls); }
    public ServerConfig withRequestTimeout(Duration v) { return new ServerConfig(host, port, modelsDir, modelFiles, pollInterval, maxBatchSize, maxQueueDelay, queueCapacity, v, maxBodyBytes, maxInstances, defaultTopK, drainTimeout, apiKeys, tls); }
    public ServerConfig withMaxBodyBytes(long v) { return new ServerConfig(host, port, modelsDir, modelFiles, pollInterval, maxBatchSize, maxQueueDelay, queueCapacity, requestTimeout, v, maxInstances, defaultTopK, drainTimeout, apiKeys, tls); }
    public ServerConfig withMaxInstances(int v) { return new ServerConfig(host, port, modelsDir, modelFiles, pollInterval, maxBatchSize, maxQueueDelay, queueCapacity, requestTimeout, maxBodyBytes, v, defaultTopK, drainTimeout, apiKeys, tls); }
    public ServerConfig withDefaultTopK(int v) { return new ServerConfig(host, port, modelsDir, modelFiles, pollInterval, maxBatchSize, maxQueueDelay, queueCapacity, requestTimeout, maxBodyBytes, maxInstances, v, drainTimeout, apiKeys, tls); }
    public ServerConfig withDrainTimeout(Duration v) { return new ServerConfig(host, port, modelsDir, modelFiles, pollInterval, maxBatchSize, maxQueueDelay, queueCapacity, requestTimeout, maxBodyBytes, maxInstances, defaultTopK, v, apiKeys, tls); }
    public ServerConfig withApiKeys(ApiKeys v) { return new ServerConfig(host, port, modelsDir, modelFiles, pollInterval, maxBatchSize, maxQueueDelay, queueCapacity, requestTimeout, maxBodyBytes, maxInstances, defaultTopK, drainTimeout, v, tls); }
    public ServerConfig withTls(Tls v) { return new ServerConfig(host, port, modelsDir, modelFiles, pollInterval, maxBatchSize, maxQueueDelay, queueCapacity, requestTimeout, maxBodyBytes, maxInstances, defaultTopK, drainTimeout, apiKeys, v); }
}
