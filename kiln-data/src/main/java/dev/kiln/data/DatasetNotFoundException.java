package dev.kiln.data;

/**
 * A dataset that is in none of the places looked at and may not be downloaded. The message lists every
 * folder looked at, what was missing there, and the ways to get the data.
 */
public final class DatasetNotFoundException extends IllegalStateException {
    public DatasetNotFoundException(String message) {
        super(message);
    }
}
