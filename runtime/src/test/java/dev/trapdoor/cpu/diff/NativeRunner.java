package dev.trapdoor.cpu.diff;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a harness image as a Linux i386 process on the host CPU and parses the records it writes. */
final class NativeRunner {
    /** What a native run produced: one outcome per case that completed, and how the process ended. */
    record Result(Harness.Outcome[] outcomes, int exitCode) {}

    private NativeRunner() {}

    /** True if this host runs a static i386 ELF (x86 Linux with IA-32 emulation): checked by running an empty image. */
    static boolean available() {
        try {
            Result r = run(Harness.build(List.of()));
            return r.exitCode == 0 && r.outcomes.length == 0;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    static Result run(Harness.Image image) throws IOException {
        Path dir = Files.createTempDirectory("trapdoor-diff");
        Path exe = dir.resolve("cases.elf"), out = dir.resolve("out.bin");
        try {
            Files.write(exe, image.bytes());
            if (!exe.toFile().setExecutable(true)) throw new IOException("cannot chmod +x " + exe);
            Process p = new ProcessBuilder(exe.toString()).redirectOutput(out.toFile())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("native run timed out");
            }
            byte[] data = Files.readAllBytes(out);
            int n = data.length / Harness.RECORD_SIZE;
            Harness.Outcome[] o = new Harness.Outcome[n];
            for (int k = 0; k < n; k++) o[k] = Harness.Outcome.parse(data, k * Harness.RECORD_SIZE);
            return new Result(o, p.exitValue());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        } finally {
            Files.deleteIfExists(exe);
            Files.deleteIfExists(out);
            Files.deleteIfExists(dir);
        }
    }
}
