package dev.trapdoor.trace;

import dev.trapdoor.api.Hypervisor;
import dev.trapdoor.api.Vm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ExitTracerTest {
    @Test
    void theHelloGuestsExitStreamIsRecordedInBothFormats(@TempDir Path dir) throws Exception {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = hv.newVm().memory("1M").build();
            vm.load(Files.readAllBytes(Path.of("../examples/hello/hello.bin")), 0x1000);
            vm.getVcpu().resetRealMode(0, 0x1000);
            Path lines = dir.resolve("exits.jsonl"), chrome = dir.resolve("exits.trace.json");
            try (ExitTracer t = ExitTracer.attach(vm, lines, chrome)) {
                vm.run();
                assertEquals(vm.getExits().total(), t.getCount());
            }
            List<ExitRecord> records = ExitTraceReader.read(lines);
            assertEquals(vm.getExits().total(), records.size());
            assertEquals("IO_INSTRUCTION", records.get(0).reason());
            assertEquals("HLT", records.get(records.size() - 1).reason());
            String json = Files.readString(chrome);
            assertTrue(json.contains("\"traceEvents\"") && json.contains("IO_INSTRUCTION"), json.substring(0, Math.min(300, json.length())));
            assertTrue(vm.getWatches().isEmpty(), "closing detaches the hook");
        }
    }
}
