package dev.kiln.cli;

import dev.kiln.serve.ApiKeys;
import dev.kiln.serve.ModelServer;
import dev.kiln.serve.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code kiln serve a.kiln b.kiln} or {@code kiln serve models/}: the HTTP model server of kiln-serve,
 * running until the process is stopped (Ctrl-C or SIGTERM), which drains in-flight requests first.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Serve models over HTTP (predict, list, health, metrics).",
        footer = {"", "Examples:",
                "  kiln serve runs/fashion-mnist-mlp/model.kiln --port 8080",
                "  kiln serve models/            # models/<name>/<version>/model.kiln, new versions loaded while running",
                "  curl -s localhost:8080/v1/models/model:predict -d '{\"instances\": [[...784 numbers...]]}'",
                "", "API keys: --api-keys FILE or KILN_API_KEYS='<token>:read,<token>:admin' (tokens of 16+ characters)."})
final class ServeCommand implements Callable<Integer> {
    /** Helidon logs every listener start and stop at INFO; the server's own lines say what matters. */
    private static final Logger HELIDON_LOG = Logger.getLogger("io.helidon");

    @ParentCommand
    Main main;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "<model.kiln | folder>", arity = "1..*",
            description = "Model files (served as version 1 under their file name) or one folder laid out as <name>/<version>/model.kiln.")
    List<Path> sources;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}; 0.0.0.0 for all interfaces).")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "Port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--max-batch-size", defaultValue = "64", description = "Most samples per forward pass (default: ${DEFAULT-VALUE}).")
    int maxBatchSize;

    @Option(names = "--max-queue-delay-ms", defaultValue = "1", description = "Longest wait for a batch to fill, in ms (default: ${DEFAULT-VALUE}).")
    long maxQueueDelayMs;

    @Option(names = "--queue-capacity", defaultValue = "1024", description = "Requests queued per model version before 503 (default: ${DEFAULT-VALUE}).")
    int queueCapacity;

    @Option(names = "--request-timeout-ms", defaultValue = "10000", description = "Per-request timeout, answered 504 (default: ${DEFAULT-VALUE}).")
    long requestTimeoutMs;

    @Option(names = "--max-body-bytes", defaultValue = "4194304", description = "Largest request body, else 413 (default: ${DEFAULT-VALUE}).")
    long maxBodyBytes;

    @Option(names = "--poll-interval-ms", defaultValue = "2000", description = "How often the models folder is scanned (default: ${DEFAULT-VALUE}).")
    long pollIntervalMs;

    @Option(names = "--top-k", defaultValue = "3", description = "Classes per instance unless a request says top_k (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--api-keys", paramLabel = "FILE", description = "Keys, one '<token>:<scope>' per line (scope read or admin); else KILN_API_KEYS; else open.")
    Path apiKeysFile;

    @Option(names = "--tls-cert", paramLabel = "PEM", description = "Certificate chain for HTTPS (with --tls-key).")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "PEM", description = "Unencrypted PKCS#8 private key for HTTPS (with --tls-cert).")
    Path tlsKey;

    @Override
    public Integer call() throws Exception {
        Path folder = null;
        List<Path> files = new ArrayList<>();
        for (Path p : sources) {
            if (Files.isDirectory(p)) {
                if (folder != null || sources.size() > 1) throw usage("give either one models folder or model files, not both or two folders");
                folder = p;
            } else {
                Models.requireFile(spec, p, "model file");
                files.add(p);
            }
        }
        if ((tlsCert == null) != (tlsKey == null)) throw usage("HTTPS needs both --tls-cert and --tls-key");
        if (tlsCert != null) {
            Models.requireFile(spec, tlsCert, "certificate");
            Models.requireFile(spec, tlsKey, "private key");
        }
        ApiKeys keys = ApiKeys.none();
        String env = System.getenv("KILN_API_KEYS");
        if (apiKeysFile != null) {
            Models.requireFile(spec, apiKeysFile, "API key file");
            keys = ApiKeys.fromFile(apiKeysFile);
        } else if (env != null && !env.isBlank()) {
            keys = ApiKeys.parse(env, "KILN_API_KEYS");
        }
        ServerConfig config;
        try {
            config = new ServerConfig(host, port, folder, files, Duration.ofMillis(pollIntervalMs), maxBatchSize, Duration.ofMillis(maxQueueDelayMs),
                    queueCapacity, Duration.ofMillis(requestTimeoutMs), maxBodyBytes, 1024, topK, Duration.ofSeconds(30), keys,
                    tlsCert == null ? null : new ServerConfig.Tls(tlsCert, tlsKey));
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        HELIDON_LOG.setLevel(Level.WARNING);
        ModelServer server = ModelServer.start(config);
        String scheme = tlsCert == null ? "http" : "https";
        main.out().println("Serving " + server.models() + " on " + scheme + "://" + host + ":" + server.port()
                + (keys.isOpen() ? " (no API keys: anyone who can reach the port may call it)" : " (API keys required)"));
        main.out().println("  POST /v1/models/{name}:predict   GET /v1/models   GET /health/ready   GET /metrics   GET /openapi.json");
        main.out().println("Stop with Ctrl-C (in-flight requests are finished first).");
        main.out().flush();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "kiln-serve-shutdown"));
        stopped.await();
        return 0;
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
