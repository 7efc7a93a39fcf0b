package dev.trapdoor.trace;

import dev.trapdoor.api.Exit;
import dev.trapdoor.api.Vcpu;
import dev.trapdoor.experiment.Json;
import dev.trapdoor.vmx.ExitInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.StringReader;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ExitTraceWriterTest {
    @Test
    void everyLineIsAJsonObjectAndTheFileReadsBack(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("t/exits.jsonl");
        try (var w = ExitTraceWriter.open(file)) {
            for (ExitRecord r : TraceFixtures.stream()) w.write(r);
            assertEquals(8, w.count());
        }
        List<String> lines = Files.readAllLines(file);
        assertEquals(9, lines.size());
        assertEquals(Map.of("format", "trapdoor-exit-trace", "version", 1L), Json.parse(lines.getFirst()));
        for (String l : lines) assertInstanceOf(Map.class, Json.parse(l), l);
        assertEquals(TraceFixtures.stream(), ExitTraceReader.read(file));
    }

    @Test
    void fieldsFollowTheDocumentedFormat() {
        var out = new StringWriter();
        try (var w = new ExitTraceWriter(out)) {
            for (ExitRecord r : TraceFixtures.stream()) w.write(r);
        }
        String[] lines = out.toString().split("\n");
        assertEquals("{\"seq\":1,\"vcpu\":0,\"reason\":\"IO_INSTRUCTION\",\"number\":30,\"qual\":\"0x3f80000\",\"rip\":\"0x1001\","
                + "\"len\":1,\"vt_ns\":1500,\"port\":1016,\"size\":1,\"dir\":\"out\",\"count\":1,\"value\":\"0x48\"}", lines[1]);
        assertEquals("{\"seq\":3,\"vcpu\":0,\"reason\":\"EPT_VIOLATION\",\"number\":48,\"qual\":\"0x182\",\"rip\":\"0x1010\","
                + "\"len\":0,\"vt_ns\":9250,\"gpa\":\"0xfee000b0\",\"gla\":\"0xfee000b0\",\"size\":4,\"access\":\"write\","
                + "\"value\":\"0xdeadbeef\"}", lines[3]);
        assertEquals("{\"seq\":4,\"vcpu\":0,\"reason\":\"EXCEPTION_NMI\",\"number\":0,\"qual\":\"0x0\",\"rip\":\"0x1020\","
                + "\"len\":0,\"vt_ns\":12000,\"vector\":13,\"error\":24}", lines[5]);
        // No virtual time: vt_ns is left out rather than written as -1.
        assertFalse(lines[8].contains("vt_ns"), lines[8]);
        assertTrue(lines[7].contains("\"message\":\"unimplemented opcode \\\"0f 0b\\\"\\nat 0x2008\""), lines[7]);
    }

    @Test
    void readerNamesTheBadLine() {
        String header = "{\"format\":\"trapdoor-exit-trace\",\"version\":1}\n";
        var e = assertThrows(IllegalArgumentException.class, () -> ExitTraceReader.read(new StringReader(header
                + "{\"seq\":1,\"vcpu\":0,\"reason\":\"HLT\",\"number\":12}\n{\"seq\":2,\"vcpu\":0,\"reason\":\"HLT\"}\n")));
        assertTrue(e.getMessage().startsWith("exit trace line 3: missing number"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ExitTraceReader.read(new StringReader(header
                + "{\"seq\":1,\"vcpu\":0,\"reason\":\"HLT\",\"number\":12,\"rip\":4096}\n")));
        assertTrue(e.getMessage().contains("rip is not a 0x hex string"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ExitTraceReader.read(new StringReader(
                "{\"format\":\"trapdoor-exit-trace\",\"version\":2}\n")));
        assertTrue(e.getMessage().contains("unsupported version"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ExitTraceReader.read(new StringReader(header + "{\"seq\":1,")));
        assertThrows(IllegalArgumentException.class, () -> ExitTraceReader.read(new StringReader("")));
    }

    @Test
    void recordFromExitInfoReadsTheTransfer() {
        ExitInfo info = new ExitInfo();
        info.io(0x3f8, 2, false, false, false, false, 1);
        info.rip = 0x7c05;
        info.instructionLength = 1;
        info.data = Arena.ofAuto().allocate(8);
        info.data.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, (short) 0x4142);
        ExitRecord r = ExitRecord.of(info, 7, 1, 123);
        assertEquals(new ExitRecord(7, 1, "IO_INSTRUCTION", 30, info.qualification, 0x7c05, 1, 123, 0x3f8, 2, false,
                0x4142, 1, 0, 0, -1, -1, ""), r);

        info.mmio(0xfec00010L, 4, false, 0xfec00010L, true);
        info.data.set(ValueLayout.JAVA_INT_UNALIGNED, 0, 0x11223344);
        r = ExitRecord.of(info, 8, 0, ExitRecord.NO_TIME);
        assertTrue(r.isMmio());
        assertEquals(0xfec00010L, r.gpa());
        assertTrue(r.in());
        assertEquals(0x11223344L, r.value());
        assertFalse(r.hasTime());
    }

    @Test
    void recordFromApiExit() throws Exception {
        ExitInfo info = new ExitInfo();
        info.io(0xe9, 1, false, false, false, true, 1);
        info.rip = 0x1234;
        info.instructionLength = 2;
        info.data = Arena.ofAuto().allocate(8);
        info.data.set(ValueLayout.JAVA_BYTE, 0, (byte) 'Z');
        // Exits are made by the runtime's vCPU loop; the test reaches the package-private constructor.
        var ctor = Exit.class.getDeclaredConstructor(Vcpu.class, long.class, ExitInfo.class);
        ctor.setAccessible(true);
        Exit e = ctor.newInstance(null, 42L, info);
        ExitRecord r = ExitRecord.of(e, 5_000);
        assertEquals(new ExitRecord(42, 0, "IO_INSTRUCTION", 30, info.qualification, 0x1234, 2, 5_000, 0xe9, 1, false,
                'Z', 1, 0, 0, -1, -1, ""), r);
    }
}
