package dev.kiln.nn;

/** Training stopped because it could not go on (for example the loss became NaN); the message says where. */
public final class TrainingFailedException extends RuntimeException {
    public TrainingFailedException(String message) {
        super(message);
    }
}
