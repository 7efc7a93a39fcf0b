package dev.trapdoor.cpu.diff;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The disassembler against GNU objdump on Debian's i386 busybox and the e1000/virtio kernel
 * modules (fetched by scripts/guests/fetch.sh; skipped without them or without objdump), and on
 * a seeded random sweep of instruction-shaped bytes. Every difference must fall in an explained
 * category: SSE/MMX and other instructions our opcode table does not have, prefixes objdump
 * spells out, and BMI1's tzcnt.
 */
class ObjdumpCorpusTest {
    private static final Path GUESTS = Path.of("..", "build", "guests");

    private static boolean objdump() {
        try {
            return new ProcessBuilder("objdump", "--version").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    static boolean explained(String category) {
        return category.startsWith("SSE/MMX") || category.startsWith("not in our opcode table")
                || category.startsWith("objdump spells out") || category.startsWith("F3 0F BC")
                || category.startsWith("data16 branch") || category.startsWith("objdump folds FWAIT")
                || category.startsWith("LOCK MOV CRn") || category.startsWith("F2/F3 before") || category.startsWith("F3 0F BD")
                || category.equals("operands: lar") || category.equals("operands: lsl"); // rows say Ew, objdump prints the full register
    }

    private static List<String> unexplained(ObjdumpCorpus c) {
        List<String> out = new ArrayList<>();
        c.categories.forEach((k, v) -> {
            if (!explained(k)) out.add(v.count + " " + k + " " + v.examples);
        });
        return out;
    }

    @Test
    @Timeout(120)
    void realBinariesDisassembleLikeObjdump() throws Exception {
        Assumptions.assumeTrue(objdump(), "objdump not installed");
        List<Path> files = new ArrayList<>();
        Path busybox = GUESTS.resolve("busybox");
        if (Files.isRegularFile(busybox)) files.add(busybox);
        Path modules = GUESTS.resolve("linux-image-6.1.0-50-686");
        if (Files.isDirectory(modules)) {
            try (var s = Files.walk(modules)) {
                s.filter(p -> p.toString().endsWith(".ko") && (p.getFileName().toString().equals("e1000.ko")
                        || p.getFileName().toString().startsWith("virtio"))).sorted().forEach(files::add);
            }
        }
        Assumptions.assumeFalse(files.isEmpty(), "no guest binaries (scripts/guests/fetch.sh)");
        ObjdumpCorpus c = new ObjdumpCorpus();
        for (Path f : files) c.add(f);
        assertTrue(c.instructions > 10_000, c.report());
        assertEquals(List.of(), unexplained(c), c.report());
    }

    @Test
    @Timeout(60)
    void randomInstructionBytesDisassembleLikeObjdump() throws Exception {
        Assumptions.assumeTrue(objdump(), "objdump not installed");
        ObjdumpCorpus c = new ObjdumpCorpus();
        c.addRaw(ObjdumpCorpus.sweep(0x0b1d, 20_000));
        assertTrue(c.matches > 0.9 * c.instructions, c.report());
        assertEquals(List.of(), unexplained(c), c.report());
    }
}
