package dev.kiln.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** API keys with read and admin scopes, and TLS from a PEM key pair, over loopback. */
class SecurityTest {
    static final String READ = ApiKeysTest.READ;
    static final String ADMIN = ApiKeysTest.ADMIN;

    @TempDir
    Path models;

    ModelServer server;

    @AfterEach
    void stop() {
        if (server != null) server.close();
    }

    private ModelServer start(ServerConfig config) throws Exception {
        TestModels.saveVersion(models, "animals", 1, TestModels.classifier(1));
        server = ModelServer.start(config);
        return server;
    }

    @Test
    void keysGuardTheApiWithReadAndAdminScopes() throws Exception {
        start(ServerConfig.of(models, List.of()).withApiKeys(ApiKeys.parse(READ + ":read\n" + ADMIN + ":admin", "test keys")));
        try (Http http = new Http(server.port())) {
            HttpResponse<String> r = http.post("/v1/models/animals:predict", ModelServerTest.GOOD);
            assertThat(r.statusCode()).isEqualTo(401);
            assertThat(r.headers().firstValue("www-authenticate")).hasValue("Bearer");
            assertThat(Http.json(r).get("error").get("message").asText()).contains("missing API key");

            r = http.post("/v1/models/animals:predict", ModelServerTest.GOOD, "Authorization", "Bearer " + READ.replace('r', 'x'));
            assertThat(r.statusCode()).isEqualTo(401);
            assertThat(r.body()).contains("not recognised");
            assertThat(http.get("/v1/models", "Authorization", "Basic " + READ).statusCode()).isEqualTo(401);
            assertThat(http.get("/metrics").statusCode()).isEqualTo(401);

            assertThat(http.post("/v1/models/animals:predict", ModelServerTest.GOOD, "Authorization", "Bearer " + READ).statusCode()).isEqualTo(200);
            assertThat(http.post("/v1/models/animals:predict", ModelServerTest.GOOD, "X-API-Key", READ).statusCode()).isEqualTo(200);
            assertThat(http.get("/v1/models/animals", "Authorization", "bearer " + READ).statusCode()).isEqualTo(200);
            assertThat(http.get("/metrics", "X-API-Key", ADMIN).statusCode()).isEqualTo(200);

            r = http.post("/v1/admin/reload", "", "Authorization", "Bearer " + READ);
            assertThat(r.statusCode()).isEqualTo(403);
            assertThat(r.body()).contains("admin key");
            assertThat(http.post("/v1/admin/reload", "", "Authorization", "Bearer " + ADMIN).statusCode()).isEqualTo(200);

            // Health checks and the API description stay open for load balancers and tooling.
            assertThat(http.get("/health/live").statusCode()).isEqualTo(200);
            assertThat(http.get("/health/ready").statusCode()).isEqualTo(200);
            assertThat(http.get("/openapi.json").statusCode()).isEqualTo(200);
            // An unknown path under /v1 does not tell a caller without a key what exists.
            assertThat(http.get("/v1/models/whatever").statusCode()).isEqualTo(401);
        }
    }

    @Test
    void servesHttpsFromAPemKeyPair() throws Exception {
        Path dir = Files.createTempDirectory(models, "pem");
        Path cert = copy("test-cert.pem", dir);
        Path key = copy("test-key.pem", dir);
        start(ServerConfig.of(models, List.of()).withTls(new ServerConfig.Tls(cert, key)));

        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        List<X509Certificate> chain = Pem.certificates(cert);
        trust.setCertificateEntry("test", chain.getFirst());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        HttpClient client = HttpClient.newBuilder().sslContext(ssl).version(HttpClient.Version.HTTP_1_1).build();
        try (Http https = new Http("https://127.0.0.1:" + server.port(), client)) {
            HttpResponse<String> r = https.post("/v1/models/animals:predict", ModelServerTest.GOOD);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.uri().getScheme()).isEqualTo("https");
        }
        // Plain HTTP to the TLS port gets no answer.
        try (Http plain = new Http(server.port())) {
            plain.get("/health/live");
            throw new AssertionError("plain HTTP was answered on the TLS port");
        } catch (java.io.IOException expected) {
            // the TLS listener refuses a plain-text request
        }
    }

    @Test
    void aKeyFileThatIsNotPemIsRefusedClearly() throws Exception {
        Path dir = Files.createTempDirectory(models, "pem");
        Path cert = copy("test-cert.pem", dir);
        Path notKey = Files.writeString(dir.resolve("key.pem"), "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----\n");
        TestModels.saveVersion(models, "animals", 1, TestModels.classifier(1));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ModelServer.start(ServerConfig.of(models, List.of()).withTls(new ServerConfig.Tls(cert, notKey))))
                .hasMessageContaining("no PKCS#8 private key").hasMessageContaining("openssl pkcs8");
    }

    private static Path copy(String resource, Path dir) throws Exception {
        try (var in = SecurityTest.class.getResourceAsStream(resource)) {
            Path p = dir.resolve(resource);
            Files.copy(in, p);
            return p;
        }
    }
}
