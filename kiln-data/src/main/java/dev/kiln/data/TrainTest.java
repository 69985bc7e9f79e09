package dev.kiln.data;

import java.util.Objects;

/** A dataset's published training and test parts. */
public record TrainTest(Dataset train, Dataset test) {
    public TrainTest {
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(test, "test");
    }
}
