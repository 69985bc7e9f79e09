package dev.kiln.core.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CompilerActivityTest {

    private long total, now;
    private final CompilerActivity activity = new CompilerActivity(() -> total, () -> now);

    @Test
    void busyWhileCompilationsKeepEndingQuietTwentyMillisecondsAfterTheLast() {
        now = 1_000_000_000L;
        total = 500;
        assertThat(activity.busy()).as("first reading: a compilation just ended, as far as anyone knows").isTrue();
        now += CompilerActivity.QUIET_NANOS - 1;
        assertThat(activity.busy()).as("19.99 ms later, nothing new").isTrue();
        now += 1;
        assertThat(activity.busy()).as("20 ms after the last change").isFalse();
        now += 5_000_000_000L;
        assertThat(activity.busy()).isFalse();
        total += 3;                     // a compilation ended
        assertThat(activity.busy()).isTrue();
        now += 10_000_000;
        total += 1;                     // and another, 10 ms later: the window restarts from it
        assertThat(activity.busy()).isTrue();
        now += 15_000_000;
        assertThat(activity.busy()).as("15 ms after the last one").isTrue();
        now += 5_000_000;
        assertThat(activity.busy()).isFalse();
    }

    @Test
    void theTestJvmReportsCompilationTime() {
        // HotSpot with its JIT does; under -Xint this is null and kernels split as they did before the rule.
        assertThat(CompilerActivity.JVM).isNotNull();
    }
}
