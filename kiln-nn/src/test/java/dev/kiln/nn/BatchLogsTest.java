package dev.kiln.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BatchLogsTest {
    @Test
    void readsTheLatestValuesInKeyOrderAndCopiesLikeAnyMap() {
        BatchLogs logs = new BatchLogs("loss", "accuracy", "lr");
        logs.set(0, 0.5);
        logs.set(1, 0.75);
        logs.set(2, 1e-3);
        assertThat(logs.get("loss")).isEqualTo(0.5);
        assertThat(logs.get("val_loss")).isNull();
        assertThat(logs.containsKey("lr")).isTrue();
        Map<String, Double> copy = new LinkedHashMap<>(logs);
        logs.set(0, 0.25);   // the next step refills the same map; a copy keeps the old values
        assertThat(copy).containsExactly(Map.entry("loss", 0.5), Map.entry("accuracy", 0.75), Map.entry("lr", 1e-3));
        assertThat(logs.get("loss")).isEqualTo(0.25);
        assertThat(logs).hasSize(3).containsEntry("accuracy", 0.75);
    }

    @Test
    void writingSaysTheLogsAreReadOnlyAndHowToKeepThem() {
        BatchLogs logs = new BatchLogs("loss", "lr");
        assertThatThrownBy(() -> logs.put("loss", 1.0))
                .isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("read-only").hasMessageContaining("new LinkedHashMap<>(logs)");
    }
}
