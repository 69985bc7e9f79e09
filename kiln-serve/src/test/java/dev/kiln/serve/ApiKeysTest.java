package dev.kiln.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiKeysTest {
    static final String READ = "read-key-0123456789abcdef";
    static final String ADMIN = "admin-key-0123456789abcdef";

    @Test
    void readsKeysWithScopesFromAFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("keys");
        Files.writeString(f, "# keys for the test\n" + READ + "\n\n" + ADMIN + ":admin\n");
        ApiKeys keys = ApiKeys.fromFile(f);
        assertThat(keys.isOpen()).isFalse();
        assertThat(keys.scopeOf(READ)).isEqualTo(ApiKeys.Scope.READ);
        assertThat(keys.scopeOf(ADMIN)).isEqualTo(ApiKeys.Scope.ADMIN);
        assertThat(keys.scopeOf(READ + "x")).isNull();
        assertThat(keys.scopeOf(READ.substring(1))).isNull();
        assertThat(keys.scopeOf(null)).isNull();
        assertThat(keys.allows(READ, ApiKeys.Scope.READ)).isTrue();
        assertThat(keys.allows(READ, ApiKeys.Scope.ADMIN)).isFalse();
        assertThat(keys.allows(ADMIN, ApiKeys.Scope.READ)).isTrue();
        assertThat(keys.allows("nope", ApiKeys.Scope.READ)).isFalse();
    }

    @Test
    void readsCommaSeparatedKeysAsFromAnEnvironmentVariable() {
        ApiKeys keys = ApiKeys.parse(READ + ":read, " + ADMIN + " admin", "KILN_API_KEYS");
        assertThat(keys.scopeOf(READ)).isEqualTo(ApiKeys.Scope.READ);
        assertThat(keys.scopeOf(ADMIN)).isEqualTo(ApiKeys.Scope.ADMIN);
        assertThat(ApiKeys.none().allows(null, ApiKeys.Scope.ADMIN)).isTrue();
    }

    @Test
    void refusesShortTokensUnknownScopesAndEmptyFiles() {
        assertThatThrownBy(() -> ApiKeys.parse("short:read", "keys")).hasMessageContaining("keys, line 1").hasMessageContaining("at least 16");
        assertThatThrownBy(() -> ApiKeys.parse(READ + ":root", "keys")).hasMessageContaining("unknown scope 'root'");
        assertThatThrownBy(() -> ApiKeys.parse("# nothing\n\n", "keys")).hasMessageContaining("holds no keys");
        assertThatThrownBy(() -> ApiKeys.parse(READ + ":read:x", "keys")).hasMessageContaining("expected '<token>'");
    }
}
