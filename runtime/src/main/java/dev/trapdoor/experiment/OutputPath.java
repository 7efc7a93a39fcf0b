package dev.trapdoor.experiment;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Output file names as scripts give them (String, GString, File, Path), with directories made on demand. */
public final class OutputPath {
    private OutputPath() { }

    public static Path of(Object where) {
        return switch (where) {
            case null -> throw new IllegalArgumentException("no output path given");
            case Path p -> p;
            case File f -> f.toPath();
            default -> Path.of(where.toString());
        };
    }

    /** Creates the path's parent directories if missing; returns the path. */
    public static Path withParents(Path p) {
        Path parent = p.toAbsolutePath().getParent();
        if (parent != null) {
            try {
                Files.createDirectories(parent);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create " + parent + ": " + e.getMessage(), e);
            }
        }
        return p;
    }
}
